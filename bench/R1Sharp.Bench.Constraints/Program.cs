using System.Diagnostics;
using System.Text;
using R1Sharp.Inference.Constraints;
using R1Sharp.Tokenization;

// R1Sharp.Bench.Constraints: cost per token of constrained sampling (docs/structured-outputs.md).
//   [--vocab FILE] [--tokens N] [--seeds S] [--schema NAME]
// Generates from random logits under each schema; times Mask (all tokens) and Allows+Accept (the drawn token) per
// token, single-threaded, each the best of --repeats replays (default 3, which filters out preemption on a busy
// machine), and prints median / p90 / p99 / max in microseconds.
string root = FindRoot();
string vocabPath = Arg("--vocab") ?? Path.Combine(root, "tests", "fixtures", "vocab", "ggml-vocab-deepseek-r1-qwen.gguf");
int maxTokens = int.Parse(Arg("--tokens") ?? "300");
int seeds = int.Parse(Arg("--seeds") ?? "5");
string? only = Arg("--schema");
bool trace = args.Contains("--trace");
int repeats = int.Parse(Arg("--repeats") ?? "3");

var sw = Stopwatch.StartNew();
var tokenizer = Tokenizer.FromGguf(vocabPath);
Console.WriteLine($"tokenizer: {tokenizer.VocabSize} tokens, loaded in {sw.ElapsedMilliseconds} ms");
sw.Restart();
var vocab = new TokenVocabulary(tokenizer);
Console.WriteLine($"vocabulary index: {vocab.TrieNodeCount} trie nodes, built in {sw.ElapsedMilliseconds} ms");

var schemas = new (string Name, Func<Grammar> Make)[]
{
    ("object", () => Grammar.FromJsonSchema("""
        {"type":"object","properties":{"name":{"type":"string","maxLength":40},"age":{"type":"integer","minimum":0,"maximum":130},
         "email":{"type":"string"},"tags":{"type":"array","items":{"type":"string","maxLength":12},"maxItems":5},
         "active":{"type":"boolean"}},"required":["name","age","email","tags","active"],"additionalProperties":false}
        """)),
    ("enum+numbers", () => Grammar.FromJsonSchema("""
        {"type":"array","maxItems":20,"items":{"type":"object","properties":{"kind":{"enum":["circle","square","triangle"]},
         "x":{"type":"number","minimum":-100,"maximum":100},"n":{"type":"integer","minimum":1,"maximum":1000}},
         "required":["kind","x","n"],"additionalProperties":false}}
        """)),
    ("bounded-string", () => Grammar.FromJsonSchema("""{"type":"object","properties":{"code":{"type":"string","minLength":20,"maxLength":24}},"required":["code"],"additionalProperties":false}""")),
    ("json_object", () => Grammar.JsonObject()),
};

foreach (var (name, make) in schemas)
{
    if (only != null && only != name) continue;
    sw.Restart();
    var grammar = make();
    double compileMs = sw.Elapsed.TotalMilliseconds;
    var maskTimes = new List<double>();
    var acceptTimes = new List<double>();
    var slowest = new List<(double Us, int Seed, int Step, string Tail)>();
    int finished = 0;
    string sample = "";
    for (int seed = 0; seed < seeds; seed++)
    {
        // Generate once, then time each step's Mask on fresh constraints replayed to that step (best of `repeats`,
        // which filters out scheduler and GC noise on a busy machine).
        var rng = new Random(seed);
        var constraint = new GrammarConstraint(grammar, vocab);
        var logits = new float[tokenizer.VocabSize];
        var ids = new List<int>();
        for (int step = 0; step < maxTokens && !constraint.MustEnd; step++)
        {
            for (int i = 0; i < logits.Length; i++) logits[i] = (float)(rng.NextDouble() * 8);
            constraint.Mask(logits);
            if (!constraint.CanEnd) foreach (int e in tokenizer.EndOfGenerationIds) logits[e] = float.NegativeInfinity;
            int token = Draw(logits, rng);
            if (tokenizer.EndOfGenerationIds.Contains(token)) break;
            if (!constraint.Allows(token)) throw new InvalidOperationException("drawn token not allowed");
            constraint.Accept(token);
            ids.Add(token);
        }
        if (constraint.CanEnd) finished++;
        var replay = Enumerable.Range(0, repeats).Select(_ => new GrammarConstraint(grammar, vocab)).ToArray();
        var unmasked = Enumerable.Range(0, repeats).Select(_ => new GrammarConstraint(grammar, vocab)).ToArray(); // Allows without a mask first
        for (int step = 0; step < ids.Count; step++)
        {
            double best = double.MaxValue, bestAccept = double.MaxValue;
            foreach (var r in replay)
            {
                long t0 = Stopwatch.GetTimestamp();
                r.Mask(logits);
                best = Math.Min(best, (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency);
                r.Accept(ids[step]);
            }
            foreach (var r in unmasked)
            {
                long t0 = Stopwatch.GetTimestamp();
                bool ok = r.Allows(ids[step]);
                r.Accept(ids[step]);
                bestAccept = Math.Min(bestAccept, (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency);
                if (!ok) throw new InvalidOperationException("replayed token not allowed");
            }
            maskTimes.Add(best);
            acceptTimes.Add(bestAccept);
            if (trace) slowest.Add((best, seed, step, Encoding.UTF8.GetString([.. ids.Take(step).TakeLast(6).SelectMany(t => tokenizer.TokenBytes(t).ToArray())])));
        }
        if (seed == 0) sample = Encoding.UTF8.GetString([.. ids.SelectMany(t => tokenizer.TokenBytes(t).ToArray())]);
    }
    Console.WriteLine($"{name,-15} compile {compileMs,6:F1} ms ({grammar.NodeCount} nodes), {maskTimes.Count} tokens, {finished}/{seeds} finished; " +
        $"Mask us: median {Pct(maskTimes, 0.5),7:F1} p90 {Pct(maskTimes, 0.9),7:F1} p99 {Pct(maskTimes, 0.99),7:F1} max {maskTimes.DefaultIfEmpty().Max(),7:F1}; " +
        $"Allows+Accept us: median {Pct(acceptTimes, 0.5),5:F1} p99 {Pct(acceptTimes, 0.99),6:F1}");
    foreach (var x in slowest.OrderByDescending(x => x.Us).Take(8))
        Console.WriteLine($"  slow: {x.Us,9:F0} us seed {x.Seed} step {x.Step} after ...{x.Tail.ReplaceLineEndings("\\n")}");
    Console.WriteLine($"  e.g. {(sample.Length > 160 ? sample[..160] + "..." : sample).ReplaceLineEndings("\\n")}");
}
return 0;

static double Pct(List<double> xs, double q)
{
    if (xs.Count == 0) return 0;
    var s = xs.Order().ToArray();
    return s[Math.Min(s.Length - 1, (int)(q * s.Length))];
}

static int Draw(float[] logits, Random rng)
{
    double total = 0;
    foreach (float l in logits) if (float.IsFinite(l)) total += Math.Exp(l);
    double u = rng.NextDouble() * total, acc = 0;
    int last = 0;
    for (int i = 0; i < logits.Length; i++)
    {
        if (!float.IsFinite(logits[i])) continue;
        last = i;
        acc += Math.Exp(logits[i]);
        if (u < acc) return i;
    }
    return last;
}

string? Arg(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string FindRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "R1Sharp.slnx"))) return d.FullName;
    return Directory.GetCurrentDirectory();
}
