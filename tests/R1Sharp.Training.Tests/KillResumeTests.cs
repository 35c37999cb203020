using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.Training.Sft;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Tests;

/// <summary>A run SIGKILLed at arbitrary moments (checkpoint writes included) and resumed ends exactly like an uninterrupted run.</summary>
public class KillResumeTests
{
    private const int Steps = 30;

    private static string[] Args(string data, string outDir, string log) =>
    [
        "train", "sft", "--init", TestData.TinyQwen, "--data", data, "--batch-size", "3", "--grad-accum", "2", "--steps", Steps.ToString(CultureInfo.InvariantCulture),
        "--lr", "2e-3", "--adam-betas", "0.9,0.95", "--adam-eps", "1e-8", "--weight-decay", "0.1", "--lr-schedule", "cosine",
        "--warmup-steps", "4", "--max-grad-norm", "1", "--save-every", "1", "--seed", "7", "--log", log, "--out", outDir, "--threads", "2",
    ];

    private static double[] Losses(string log) =>
        File.ReadAllLines(log).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToArray();

    internal static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(TestData.CliDll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return p;
    }

    internal static int LogLines(string log)
    {
        try { return File.Exists(log) ? File.ReadAllLines(log).Length : 0; }
        catch (IOException) { return 0; }
    }

    [Fact]
    public void SigkilledRunResumesToTheSameFinalLoss()
    {
        string dir = TestData.TempDir("kill");
        string data = TestData.TokenRows(dir, 25);

        // Uninterrupted reference, in-process.
        string refLog = Path.Combine(dir, "ref.jsonl");
        using (var pool = new ComputePool(2))
        using (var t = SftTrainer.Create(new SftOptions
               {
                   InitModel = TestData.TinyQwen, DataPath = data, BatchSize = 3, GradAccum = 2, Steps = Steps, LearningRate = 2e-3,
                   Beta1 = 0.9f, Beta2 = 0.95f, Eps = 1e-8f, WeightDecay = 0.1f, Schedule = "cosine", WarmupSteps = 4, MaxGradNorm = 1,
                   SaveEvery = 1, Seed = 7,
               }, Path.Combine(dir, "ref"), pool))
            t.Run(refLog);
        double[] expected = Losses(refLog);
        Assert.Equal(Steps, expected.Length);

        // The same run as a child process, SIGKILLed three times (every step writes a checkpoint, so kills land in writes too).
        string run = Path.Combine(dir, "run"), log = Path.Combine(dir, "run.jsonl");
        var p = Start(Args(data, run, log));
        int kills = 0;
        foreach (int killAt in new[] { 4, 11, 19 })
        {
            var sw = Stopwatch.StartNew();
            while (LogLines(log) < killAt && !p.HasExited && sw.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(5);
            Thread.Sleep(killAt * 3 % 40); // land at varied points within a step
            if (!p.HasExited) { p.Kill(); kills++; }
            p.WaitForExit();
            // Whatever the moment of the kill, the checkpoint loads.
            using (var f = GgufFile.Open(Path.Combine(run, SftTrainer.CheckpointFile)))
                Assert.True(f.GetInteger("r1.train.step") >= 1);
            p = Start("train", "sft", "--resume", run, "--log", log, "--threads", "1");
        }
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "resumed run did not finish");
        Assert.Equal(0, p.ExitCode);
        Assert.True(kills >= 1, "the run finished before it could be killed");

        double[] got = Losses(log);
        Assert.Equal(Steps, got.Length);
        Assert.Equal(Enumerable.Range(1, Steps), File.ReadAllLines(log).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()));
        Assert.True(Math.Abs(got[^1] - expected[^1]) <= 1e-6 * Math.Abs(expected[^1]), $"final loss {got[^1]} vs uninterrupted {expected[^1]}");
        Assert.Equal(expected, got); // deterministic kernels: bit-exact, whatever the thread count
        Directory.Delete(dir, true);
    }

    [Fact]
    public void LeftoverTemporaryCheckpointIsIgnoredOnResume()
    {
        string dir = TestData.TempDir("tmpfile");
        string data = TestData.TokenRows(dir, 10);
        string run = Path.Combine(dir, "run");
        using var pool = new ComputePool(2);
        var options = new SftOptions { InitModel = TestData.TinyLlama, DataPath = data, BatchSize = 2, Steps = 4, SaveEvery = 2, Seed = 3 };
        using (var t = SftTrainer.Create(options with { Steps = 4 }, run, pool))
        {
            t.TrainStep(); t.TrainStep();
            t.SaveCheckpoint();
        }
        // A write cut short by a kill: half a file under the temporary name.
        byte[] partial = File.ReadAllBytes(Path.Combine(run, SftTrainer.CheckpointFile))[..1000];
        File.WriteAllBytes(Path.Combine(run, SftTrainer.CheckpointFile + ".tmp999"), partial);
        using var resumed = SftTrainer.Resume(run, pool);
        Assert.Equal(2, resumed.Step);
        Assert.False(File.Exists(Path.Combine(run, SftTrainer.CheckpointFile + ".tmp999")));
        resumed.Run(null);
        Assert.Equal(4, resumed.Step);
        Directory.Delete(dir, true);
    }
}
