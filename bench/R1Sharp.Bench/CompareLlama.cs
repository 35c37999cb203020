using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace R1Sharp.Bench;

/// <summary>
/// `compare-llama`: `r1 bench` against llama.cpp on the same GGUF files in the same run, alternating the two programs
/// (their order flips every round so drift and neighbours' load hit both alike), and prints medians and ratios.
/// llama.cpp is never built here: pass its binaries (LLAMA_BENCH, and LLAMA_BATCHED_BENCH for decode at a depth,
/// which this llama-bench version cannot do). llama.cpp runs with --no-mmap (-mmp 0), its fastest setting here.
/// </summary>
internal static class CompareLlama
{
    private sealed record Sample(string Model, string Test, string Program, double Tps);

    public static int Run(string[] args)
    {
        var models = (Args.Get(args, "--models") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        string r1 = Args.Get(args, "--r1") ?? Path.Combine(Args.RepoRoot(), "r1");
        string? llamaBench = Args.Get(args, "--llama-bench") ?? Environment.GetEnvironmentVariable("LLAMA_BENCH");
        string? batchedBench = Args.Get(args, "--llama-batched-bench") ?? Environment.GetEnvironmentVariable("LLAMA_BATCHED_BENCH");
        int rounds = int.Parse(Args.Get(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        string threads = Args.Get(args, "-t") ?? "2";
        int p = int.Parse(Args.Get(args, "-p") ?? "128", CultureInfo.InvariantCulture);
        int n = int.Parse(Args.Get(args, "-n") ?? "32", CultureInfo.InvariantCulture);
        int depth = int.Parse(Args.Get(args, "--depth") ?? "0", CultureInfo.InvariantCulture);
        string extraR1 = Args.Get(args, "--r1-args") ?? "";
        if (models.Length == 0 || llamaBench == null)
        {
            Console.Error.WriteLine("usage: compare-llama --models A.gguf[,B.gguf...] [--rounds 3] [-t 2] [-p 128] [-n 32] [--depth 4096]\n" +
                                    "       [--r1 ./r1] [--r1-args \"--mmap\"] with LLAMA_BENCH=/path/llama-bench [LLAMA_BATCHED_BENCH=/path/llama-batched-bench]");
            return 2;
        }
        if (depth > 0 && batchedBench == null)
        {
            Console.Error.WriteLine("--depth needs LLAMA_BATCHED_BENCH (this llama-bench has no depth option)");
            return 2;
        }
        foreach (var m in models.Append(llamaBench).Append(r1))
            if (!File.Exists(m)) { Console.Error.WriteLine($"not found: {m}"); return 2; }

        var samples = new List<Sample>();
        for (int round = 0; round < rounds; round++)
            foreach (var model in models)
            {
                var runs = new List<Action>
                {
                    () => R1(r1, model, threads, p, n, 0, extraR1, samples),
                    () => Llama(llamaBench, model, threads, p, n, samples),
                };
                if (depth > 0)
                {
                    runs.Add(() => R1(r1, model, threads, 0, n, depth, extraR1, samples));
                    runs.Add(() => LlamaDepth(batchedBench!, model, threads, n, depth, samples));
                }
                if (round % 2 == 1) runs.Reverse();
                foreach (var run in runs) run();
                Console.Error.WriteLine($"round {round + 1}/{rounds} {Path.GetFileName(model)}: " +
                    string.Join("  ", samples.Where(s => s.Model == model).GroupBy(s => (s.Test, s.Program))
                        .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key.Program} {g.Key.Test} {g.Last().Tps:F1}"))));
            }

        Console.WriteLine($"threads {threads}, {rounds} alternating rounds, llama.cpp with --no-mmap; t/s medians (min..max), ratio = R1Sharp / llama.cpp");
        Console.WriteLine();
        Console.WriteLine("| model | test | R1Sharp t/s | llama.cpp t/s | ratio |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var model in models)
            foreach (var test in samples.Where(s => s.Model == model).Select(s => s.Test).Distinct())
            {
                var ours = samples.Where(s => s.Model == model && s.Test == test && s.Program == "r1").Select(s => s.Tps).ToList();
                var theirs = samples.Where(s => s.Model == model && s.Test == test && s.Program == "llama").Select(s => s.Tps).ToList();
                if (ours.Count == 0 || theirs.Count == 0) continue;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {Path.GetFileName(model)} | {test} | {Median(ours):F2} ({ours.Min():F1}..{ours.Max():F1}) | {Median(theirs):F2} ({theirs.Min():F1}..{theirs.Max():F1}) | {Median(ours) / Median(theirs):F2}x |"));
            }
        return 0;
    }

    private static void R1(string r1, string model, string threads, int p, int n, int depth, string extra, List<Sample> samples)
    {
        var output = Exec(r1, $"bench -m \"{model}\" -p {p} -n {n} -d {depth} -t {threads} -r 1 --json {extra}");
        using var doc = JsonDocument.Parse(output.Trim().Split('\n').Last());
        string at = depth > 0 ? $" @ d{depth}" : "";
        if (p > 0) samples.Add(new Sample(model, $"pp{p}{at}", "r1", doc.RootElement.GetProperty("pp_tps").GetDouble()));
        if (n > 0) samples.Add(new Sample(model, $"tg{n}{at}", "r1", doc.RootElement.GetProperty("tg_tps").GetDouble()));
    }

    private static void Llama(string bench, string model, string threads, int p, int n, List<Sample> samples)
    {
        var output = Exec(bench, $"-m \"{model}\" -p {p} -n {n} -t {threads} -mmp 0 -r 1 -o json");
        using var doc = JsonDocument.Parse(output);
        foreach (var test in doc.RootElement.EnumerateArray())
        {
            int np = test.GetProperty("n_prompt").GetInt32(), ng = test.GetProperty("n_gen").GetInt32();
            string name = ng == 0 ? $"pp{np}" : $"tg{ng}";
            samples.Add(new Sample(model, name, "llama", test.GetProperty("avg_ts").GetDouble()));
        }
    }

    private static void LlamaDepth(string bench, string model, string threads, int n, int depth, List<Sample> samples)
    {
        var output = Exec(bench, $"-m \"{model}\" -c {depth + n} -b 2048 -ub 512 -npp {depth} -ntg {n} -npl 1 -t {threads} --no-mmap --output-format jsonl");
        var line = output.Split('\n').Last(l => l.TrimStart().StartsWith('{'));
        using var doc = JsonDocument.Parse(line);
        samples.Add(new Sample(model, $"tg{n} @ d{depth}", "llama", doc.RootElement.GetProperty("speed_tg").GetDouble()));
    }

    private static string Exec(string file, string arguments)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var proc = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stderr = proc.StandardError.ReadToEndAsync();
        string stdout = proc.StandardOutput.ReadToEnd();
        proc.WaitForExit();
        if (proc.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {arguments} failed ({proc.ExitCode}): {stderr.Result.Trim().Split('\n').LastOrDefault()}");
        return stdout;
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
