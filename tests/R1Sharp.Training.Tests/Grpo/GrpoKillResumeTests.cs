using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Training.Grpo;

namespace R1Sharp.Training.Tests.Grpo;

/// <summary>`r1 train grpo` SIGKILLed at arbitrary moments (rollouts, reward commands and checkpoint writes included)
/// and resumed ends exactly like an uninterrupted run: same rollouts, rewards, losses, bit for bit.</summary>
public class GrpoKillResumeTests
{
    private const int Steps = 10;
    // Score = length of the JSON line the reward command reads: varies with each completion's text, deterministic.
    private const string Reward = "while IFS= read -r l; do echo ${#l}; done";

    private static string[] Args(string data, string outDir) =>
    [
        "train", "grpo", "--policy", TestData.TinyQwen, "--data", data, "--out", outDir, "--steps", Steps.ToString(CultureInfo.InvariantCulture),
        "--prompts-per-step", "2", "--num-generations", "4", "--num-iterations", "2", "--max-completion-length", "8", "--beta", "0.02",
        "--epsilon-high", "0.28", "--loss-type", "grpo", "--temperature", "0.9", "--reward-command", "len=" + Reward, "--lr", "5e-3",
        "--lr-schedule", "cosine", "--warmup-steps", "2", "--save-every", "1", "--sample-every", "3", "--seed", "9", "--threads", "2",
    ];

    private static GrpoOptions Options(string data) => new()
    {
        Policy = TestData.TinyQwen, DataPath = data, Steps = Steps, PromptsPerStep = 2, NumGenerations = 4, NumIterations = 2,
        Objective = new GrpoSettings { MaxCompletionLength = 8, Beta = 0.02, EpsilonHigh = 0.28, LossType = GrpoLossType.Grpo, Temperature = 0.9 },
        Rewards = [], RewardCommands = new Dictionary<string, string> { ["len"] = Reward }, LearningRate = 5e-3, Schedule = "cosine",
        WarmupSteps = 2, SaveEvery = 1, SampleEvery = 3, Seed = 9,
    };

    // Timing figures differ from run to run; everything else must match exactly.
    private static readonly string[] Timing = ["rollout_tokens_per_s", "train_tokens_per_s", "seconds"];

    private static List<string> Deterministic(string log) => File.ReadAllLines(log).Select(l =>
    {
        var e = JsonDocument.Parse(l).RootElement;
        return string.Join(",", e.EnumerateObject().Where(p => !Timing.Contains(p.Name)).Select(p => $"{p.Name}={p.Value.GetRawText()}"));
    }).ToList();

    [Fact]
    public void SigkilledRunResumesBitExact()
    {
        string dir = TestData.TempDir("grpo-kill");
        string data = GrpoTrainerTests.Prompts(dir, 7);

        string refDir = Path.Combine(dir, "ref");
        using (var pool = new ComputePool(2))
        using (var t = GrpoTrainer.Create(Options(data), refDir, pool))
            t.Run();
        var expected = Deterministic(Path.Combine(refDir, GrpoTrainer.LogFile));
        Assert.Equal(Steps, expected.Count);

        string run = Path.Combine(dir, "run"), log = Path.Combine(run, GrpoTrainer.LogFile);
        var p = KillResumeTests.Start(Args(data, run));
        int kills = 0;
        foreach (int killAt in new[] { 2, 5, 7 })
        {
            var sw = Stopwatch.StartNew();
            while (KillResumeTests.LogLines(log) < killAt && !p.HasExited && sw.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(5);
            Thread.Sleep(killAt * 37 % 200); // land at varied points within a step
            if (!p.HasExited) { p.Kill(entireProcessTree: true); kills++; }
            p.WaitForExit();
            using (var f = GgufFile.Open(Path.Combine(run, TrainingCheckpoint.FileName)))
                Assert.True(f.GetInteger("r1.train.step") >= 1);
            p = KillResumeTests.Start("train", "grpo", "--resume", run, "--threads", "1");
        }
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "resumed run did not finish");
        Assert.Equal(0, p.ExitCode);
        Assert.True(kills >= 1, "the run finished before it could be killed");
        Assert.Equal(expected, Deterministic(log));
        Assert.Equal(File.ReadAllText(Path.Combine(refDir, GrpoTrainer.SamplesFile)), File.ReadAllText(Path.Combine(run, GrpoTrainer.SamplesFile)));
        Directory.Delete(dir, true);
    }
}
