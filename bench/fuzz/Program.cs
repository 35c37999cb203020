using System.Diagnostics;
using System.Globalization;
using R1Sharp.Fuzz;

// The long fuzz run: the suite's targets (tests/R1Sharp.Fuzz) round-robin for --minutes, with a fresh seed unless one is
// given, a per-case time limit, and a report of cases, crashes, hangs and memory. Usage: run.sh [--minutes N] [--seed S]
// [--targets gguf,model,vocab,text,jinja] [--case-timeout SECONDS] [--out DIR]

string Arg(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

double minutes = double.Parse(Arg("--minutes", "10"), CultureInfo.InvariantCulture);
int seed = int.Parse(Arg("--seed", (Environment.TickCount & 0x7FFFFFFF).ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
double caseTimeout = double.Parse(Arg("--case-timeout", "10"), CultureInfo.InvariantCulture);
string outDir = Arg("--out", Path.Combine("artifacts", "fuzz"));
string[] names = Arg("--targets", "gguf,model,vocab,text,jinja").Split(',', StringSplitOptions.RemoveEmptyEntries);
Directory.CreateDirectory(outDir);

FuzzTarget Create(string name) => name switch
{
    "gguf" => new GgufReaderTarget(),
    "model" => new ModelLoaderTarget(),
    "vocab" => new VocabTarget(),
    "text" => new TokenizerTextTarget("tiny", "deepseek-r1-qwen", "deepseek-v3", "llama-bpe", "deepseek-llm", "gpt-2"),
    "jinja" => new JinjaTarget(),
    _ => throw new ArgumentException($"unknown target '{name}' (gguf, model, vocab, text, jinja)"),
};
var targets = names.Select(Create).ToArray();
string current = Path.Combine(outDir, "current-case.txt");
var runner = new FuzzRunner(seed, TimeSpan.FromSeconds(caseTimeout), outDir)
{
    // written before every case: if one kills the process (a stack overflow cannot be caught), run.sh names it
    BeforeCase = (target, index) => File.WriteAllText(current, $"{target} seed {seed} case {index}"),
};

Console.WriteLine($"fuzz: seed {seed}, {minutes} min, targets {string.Join(", ", names)}, case limit {caseTimeout} s, findings -> {outDir}");
var sw = Stopwatch.StartNew();
var next = new long[targets.Length];
long peakManaged = 0;
var lastReport = TimeSpan.Zero;
while (sw.Elapsed.TotalMinutes < minutes)
{
    for (int t = 0; t < targets.Length; t++)
        for (int k = 0; k < 20; k++)
            if (!runner.RunCase(targets[t], next[t]++))
                Console.WriteLine(runner.Findings[^1]);
    peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
    if (sw.Elapsed - lastReport > TimeSpan.FromSeconds(30))
    {
        lastReport = sw.Elapsed;
        Console.WriteLine($"  {sw.Elapsed.TotalMinutes:F1} min: {runner.Stats.Sum(s => s.Cases):N0} cases, {runner.Findings.Count} findings, " +
                          $"resident {Process.GetCurrentProcess().WorkingSet64 >> 20} MiB");
    }
}
File.Delete(current);

var process = Process.GetCurrentProcess();
Console.WriteLine();
Console.WriteLine($"{"target",-8} {"cases",10} {"ran",10} {"refused",10} {"crashes",8} {"hangs",6} {"memory",7} {"slowest",10} {"most allocated",15}");
foreach (var s in runner.Stats)
    Console.WriteLine($"{s.Name,-8} {s.Cases,10:N0} {s.Clean,10:N0} {s.Refused,10:N0} {s.Crashes,8} {s.Hangs,6} {s.MemoryFindings,7} {s.SlowestMs,8:F0} ms {s.MostAllocated / 1048576.0,11:F1} MiB");
Console.WriteLine($"total: {runner.Stats.Sum(s => s.Cases):N0} cases in {sw.Elapsed.TotalMinutes:F1} min, {runner.Findings.Count} findings; " +
                  $"peak resident memory {process.PeakWorkingSet64 >> 20} MiB, peak managed heap {peakManaged >> 20} MiB (seed {seed})");
return runner.Findings.Count == 0 ? 0 : 1;
