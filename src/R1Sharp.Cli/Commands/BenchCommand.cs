using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using R1Sharp.Inference;
using R1Sharp.Models;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 bench`: llama-bench style speed test: prefill of p random tokens in one batch (pp t/s) and decode
/// of n tokens one at a time (tg t/s), each from an empty cache.</summary>
internal sealed class BenchCommand : ICliCommand
{
    public int Order => 40;

    public Command Build()
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF model file (default: $R1_MODEL or the bundled model)" };
        var prompt = new Option<int>("-p", "--n-prompt") { Description = "prompt tokens to prefill", DefaultValueFactory = _ => 512 };
        var gen = new Option<int>("-n", "--n-gen") { Description = "tokens to decode", DefaultValueFactory = _ => 128 };
        var threads = new Option<int?>("-t", "--threads") { Description = "compute threads (default: all cores)" };
        var reps = new Option<int>("-r", "--repetitions") { Description = "runs of each test (the best is reported)", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "print one JSON line {\"pp_tps\":..,\"tg_tps\":..}" };
        var cmd = new Command("bench", "Measure prefill and decode speed (tokens/s) with random tokens") { model, prompt, gen, threads, reps, json };
        cmd.SetAction(parse => CommandGuard.Run("bench", () =>
        {
            int p = parse.GetValue(prompt), n = parse.GetValue(gen), r = Math.Max(1, parse.GetValue(reps));
            if (p < 0 || n < 0 || p + n == 0)
            {
                Console.Error.WriteLine("r1 bench: -p and -n must be >= 0 and not both 0");
                return 1;
            }
            int? t = parse.GetValue(threads);
            if (t is <= 0)
            {
                Console.Error.WriteLine("r1 bench: -t must be positive");
                return 1;
            }
            string path = DefaultModel.Resolve(parse.GetValue(model));
            using var file = GgufFile.Open(path);
            using var lm = ModelLoader.Load(file, new ModelLoadOptions { Threads = t, MaxBatchTokens = Math.Max(512, p) });
            int vocab = lm.Config.VocabSize;
            var rng = new Random(1234);
            int[] tokens = Enumerable.Range(0, Math.Max(p, n) + 8).Select(_ => rng.Next(vocab)).ToArray();
            var logits = new float[vocab];

            // Warm-up: JIT, thread start, page-in of the mapped weights.
            using (var warm = lm.CreateSequence(8)) lm.Forward([new ForwardItem(warm, tokens.AsMemory(0, 8), logits)]);

            double pp = 0, tg = 0;
            for (int rep = 0; rep < r; rep++)
            {
                if (p > 0)
                {
                    using var seq = lm.CreateSequence(p);
                    var sw = Stopwatch.StartNew();
                    lm.Forward([new ForwardItem(seq, tokens.AsMemory(0, p), logits)]);
                    pp = Math.Max(pp, p / sw.Elapsed.TotalSeconds);
                }
                if (n > 0)
                {
                    using var seq = lm.CreateSequence(n);
                    var sw = Stopwatch.StartNew();
                    for (int i = 0; i < n; i++) lm.Forward([new ForwardItem(seq, tokens.AsMemory(i, 1), logits)]);
                    tg = Math.Max(tg, n / sw.Elapsed.TotalSeconds);
                }
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"pp_tps\":{pp:F3},\"tg_tps\":{tg:F3}}}"));
                return 0;
            }
            var c = lm.Config;
            Console.WriteLine($"model: {Path.GetFileName(path)} ({c.Architecture}, {c.LayerCount} layers, {c.EmbeddingLength} hidden, {file.FileSize / 1048576.0:F0} MiB), threads: {t ?? Environment.ProcessorCount}");
            if (p > 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pp{p}: {pp,10:F2} t/s"));
            if (n > 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tg{n}: {tg,10:F2} t/s"));
            return 0;
        }));
        return cmd;
    }
}
