using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using R1Sharp.Inference;
using R1Sharp.Models;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 bench`: llama-bench style speed test with random tokens: prefill of p tokens in one batch (pp t/s) and
/// decode of n tokens one at a time (tg t/s), each after d tokens of context (-d, prefilled once, not timed).
/// Every test runs r times; the median is reported (and every sample with --json).</summary>
internal sealed class BenchCommand : ICliCommand
{
    public int Order => 40;

    public Command Build()
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF model file (default: $R1_MODEL or the bundled model)" };
        var prompt = new Option<int>("-p", "--n-prompt") { Description = "prompt tokens to prefill", DefaultValueFactory = _ => 512 };
        var gen = new Option<int>("-n", "--n-gen") { Description = "tokens to decode", DefaultValueFactory = _ => 128 };
        var depth = new Option<int>("-d", "--n-depth") { Description = "tokens of context already in the cache before each test", DefaultValueFactory = _ => 0 };
        var threads = CliOptions.Threads();
        var reps = new Option<int>("-r", "--repetitions") { Description = "runs of each test (the median is reported)", DefaultValueFactory = _ => 3 };
        var mmap = new Option<bool>("--mmap") { Description = "compute from the file's memory map instead of weights laid out for the kernels in memory" };
        var kvType = CliOptions.KvType();
        var json = new Option<bool>("--json") { Description = "print one JSON line: medians pp_tps, tg_tps and every sample" };
        var cmd = new Command("bench", "Measure prefill and decode speed (tokens/s) with random tokens") { model, prompt, gen, depth, threads, reps, mmap, kvType, json };
        cmd.SetAction(parse => CommandGuard.Run("bench", () =>
        {
            int p = parse.GetValue(prompt), n = parse.GetValue(gen), d = parse.GetValue(depth), r = parse.GetValue(reps);
            if (p < 0 || n < 0 || p + n == 0)
            {
                Console.Error.WriteLine("r1 bench: -p and -n must be >= 0 and not both 0");
                return 1;
            }
            if (d < 0 || r < 1)
            {
                Console.Error.WriteLine("r1 bench: -d must be >= 0 and -r >= 1");
                return 1;
            }
            int? t = parse.GetValue(threads);
            bool quiet = parse.GetValue(json);
            string path = DefaultModel.Resolve(parse.GetValue(model));
            using var file = GgufFile.Open(path);
            var load = Stopwatch.StartNew();
            using var lm = ModelLoader.Load(file, new ModelLoadOptions { Threads = t, MaxBatchTokens = Math.Max(512, p), Mmap = parse.GetValue(mmap),
                KvType = ModelLoadOptions.ParseKvType(parse.GetValue(kvType)!) });
            double loadSeconds = load.Elapsed.TotalSeconds;
            int vocab = lm.Config.VocabSize;
            var rng = new Random(1234);
            int[] tokens = Enumerable.Range(0, d + Math.Max(p, n) + 8).Select(_ => rng.Next(vocab)).ToArray();
            var logits = new float[vocab];
            int nThreads = t ?? Environment.ProcessorCount;

            // Warm-up: JIT, thread start, first touch of the weights.
            using (var warm = lm.CreateSequence(8)) lm.Forward([new ForwardItem(warm, tokens.AsMemory(0, 8), logits)]);

            using var seq = lm.CreateSequence(d + Math.Max(p, n));
            if (d > 0)
            {
                if (!quiet) Console.Error.Write($"r1 bench: filling {d} tokens of context... ");
                var fill = Stopwatch.StartNew();
                lm.Forward([new ForwardItem(seq, tokens.AsMemory(0, d), logits)]);
                if (!quiet) Console.Error.WriteLine($"{fill.Elapsed.TotalSeconds:F1} s");
            }
            var ppSamples = new List<double>();
            var tgSamples = new List<double>();
            // process CPU seconds per test / threads: on a machine shared with other jobs this estimates the time the
            // test would take with its cores to itself (it counts spinning workers too, so it is not a quiet figure)
            var ppCpu = new List<double>();
            var tgCpu = new List<double>();
            
            var proc = Process.GetCurrentProcess();
            double Cpu() { proc.Refresh(); return proc.TotalProcessorTime.TotalSeconds; }
            for (int rep = 0; rep < r; rep++)
            {
                if (p > 0)
                {
                    seq.Truncate(d);
                    double c0 = Cpu();
                    var sw = Stopwatch.StartNew();
                    lm.Forward([new ForwardItem(seq, tokens.AsMemory(d, p), logits)]);
                    ppSamples.Add(p / sw.Elapsed.TotalSeconds);
                    ppCpu.Add(p / ((Cpu() - c0) / nThreads));
                }
                if (n > 0)
                {
                    seq.Truncate(d);
                    double c0 = Cpu();
                    var sw = Stopwatch.StartNew();
                    for (int i = 0; i < n; i++) lm.Forward([new ForwardItem(seq, tokens.AsMemory(d + i, 1), logits)]);
                    tgSamples.Add(n / sw.Elapsed.TotalSeconds);
                    tgCpu.Add(n / ((Cpu() - c0) / nThreads));
                }
            }

            double pp = Median(ppSamples), tg = Median(tgSamples);
            if (quiet)
            {
                Console.WriteLine(CliJson.Serialize(new Dictionary<string, object>
                {
                    ["model"] = Path.GetFileName(path), ["threads"] = nThreads, ["n_prompt"] = p, ["n_gen"] = n,
                    ["n_depth"] = d, ["repetitions"] = r, ["mmap"] = parse.GetValue(mmap), ["kv_type"] = parse.GetValue(kvType)!, ["load_s"] = Math.Round(loadSeconds, 3),
                    ["pp_tps"] = Math.Round(pp, 3), ["tg_tps"] = Math.Round(tg, 3),
                    ["pp_samples"] = ppSamples.Select(v => Math.Round(v, 3)), ["tg_samples"] = tgSamples.Select(v => Math.Round(v, 3)),
                    ["pp_cpu_tps"] = Math.Round(Median(ppCpu), 3), ["tg_cpu_tps"] = Math.Round(Median(tgCpu), 3),
                }));
                return 0;
            }
            var c = lm.Config;
            string at = d > 0 ? $" @ d{d}" : "";
            Console.WriteLine($"model: {Path.GetFileName(path)} ({c.Architecture}, {c.LayerCount} layers, {c.EmbeddingLength} hidden, {HumanUnits.Bytes(file.FileSize)}), " +
                              $"threads: {nThreads}, load {loadSeconds:F1} s{(parse.GetValue(mmap) ? " (mmap)" : "")}");
            if (p > 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pp{p}{at}: {pp,10:F2} t/s  (median of {r}: {Range(ppSamples)})"));
            if (n > 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tg{n}{at}: {tg,10:F2} t/s  (median of {r}: {Range(tgSamples)})"));
            return 0;
        }));
        return cmd;
    }

    private static double Median(List<double> v)
    {
        if (v.Count == 0) return 0;
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static string Range(List<double> v) =>
        string.Create(CultureInfo.InvariantCulture, $"{v.Min():F2}..{v.Max():F2}");
}
