using System.Text.Json;
using System.Xml.Linq;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Training.Grpo;
using R1Sharp.Training.Grpo.Rewards;

namespace R1Sharp.Training.Tests.Grpo;

/// <summary>`r1 train grpo` as a library on the tiny random model: learning a trivially learnable reward, dynamic
/// sampling, batch reuse, checkpoints and the run directory's log, samples and charts.</summary>
public class GrpoTrainerTests
{
    /// <summary>Share of the completion's characters that are ASCII digits: dense enough for a random model to get
    /// signal in most groups, and learnable by shifting probability towards the ten digit tokens.</summary>
    internal sealed class DigitShare : IRewardFunction
    {
        public string Name => "digits";
        public void Score(IReadOnlyList<RewardSample> samples, Span<double> scores)
        {
            for (int i = 0; i < samples.Count; i++)
            {
                string c = samples[i].Completion;
                scores[i] = c.Length == 0 ? 0 : c.Count(char.IsAsciiDigit) / (double)c.Length;
            }
        }
        public void Dispose() { }
    }

    /// <summary>0 for the prompt on line 1 (every completion alike: no signal), the completion's length otherwise;
    /// records the lines of every group it scored.</summary>
    private sealed class UniformOnLineOne(int generations) : IRewardFunction
    {
        public readonly List<int> GroupLines = [];
        public string Name => "lineone";
        public void Score(IReadOnlyList<RewardSample> samples, Span<double> scores)
        {
            for (int i = 0; i < samples.Count; i++)
            {
                if (i % generations == 0) GroupLines.Add(samples[i].Prompt.Line);
                scores[i] = samples[i].Prompt.Line == 1 ? 0 : samples[i].Completion.Length;
            }
        }
        public void Dispose() { }
    }

    internal static string Prompts(string dir, int count)
    {
        string path = Path.Combine(dir, "prompts.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, count).Select(i =>
            $"{{\"messages\":[{{\"role\":\"user\",\"content\":\"What is {i + 3} + {2 * i + 5}?\"}}],\"answer\":\"{3 * i + 8}\",\"task\":\"add\"}}"));
        return path;
    }

    private static GrpoOptions Options(string data, int steps) => new()
    {
        Policy = TestData.TinyQwen, DataPath = data, Steps = steps, PromptsPerStep = 2, NumGenerations = 8,
        Objective = new GrpoSettings { MaxCompletionLength = 12, Temperature = 1.0 },
        Rewards = ["digits:1"], LearningRate = 1e-2, SaveEvery = 1000, SampleEvery = 0, Seed = 5,
    };

    private static List<JsonElement> Log(string dir) => File.ReadAllLines(Path.Combine(dir, GrpoTrainer.LogFile))
        .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public void AFewStepsRaiseTheRewardOfALearnableTask()
    {
        string dir = TestData.TempDir("grpo-learn");
        string run = Path.Combine(dir, "run");
        using var pool = new ComputePool(2);
        const int Steps = 12;
        using (var t = GrpoTrainer.Create(Options(Prompts(dir, 6), Steps), run, pool, [new DigitShare()]))
            t.Run();
        var log = Log(run);
        Assert.Equal(Steps, log.Count);
        double[] reward = log.Select(l => l.GetProperty("rewards/digits/mean").GetDouble()).ToArray();
        double first = reward[..3].Average(), last = reward[^3..].Average();
        Assert.True(last > first + 0.1 && last > 2 * first, $"digit share {first:F3} over the first steps, {last:F3} over the last: [{string.Join(", ", reward.Select(r => r.ToString("F3")))}]");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void RunDirectoryHoldsTheLogSamplesChartsAndCheckpoint()
    {
        string dir = TestData.TempDir("grpo-files");
        string run = Path.Combine(dir, "run");
        using var pool = new ComputePool(2);
        using (var t = GrpoTrainer.Create(Options(Prompts(dir, 4), 3) with
               {
                   Rewards = ["digits:1", "format:0.5", "overlong:0.1"], SaveEvery = 2, SampleEvery = 2, NumIterations = 1,
                   Objective = new GrpoSettings { MaxCompletionLength = 12, Beta = 0.04 },
               }, run, pool, [new DigitShare()]))
            t.Run();
        var log = Log(run);
        Assert.Equal([1, 2, 3], log.Select(l => l.GetProperty("step").GetInt32()));
        foreach (var l in log)
        {
            foreach (string key in (string[])["loss", "lr", "grad_norm", "reward", "reward_std", "rewards/digits/mean", "rewards/digits/std",
                     "rewards/format/mean", "rewards/overlong/std", "accuracy", "completions/mean_length", "completions/min_length",
                     "completions/max_length", "completions/truncated_ratio", "kl", "entropy", "clip_ratio/low_mean", "clip_ratio/high_mean",
                     "clip_ratio/region_mean", "dropped_groups", "groups", "sampling_rounds", "rollout_tokens_per_s", "train_tokens_per_s"])
                Assert.True(l.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number, $"log line without {key}: {l}");
            double min = l.GetProperty("completions/min_length").GetDouble(), max = l.GetProperty("completions/max_length").GetDouble();
            Assert.InRange(l.GetProperty("completions/mean_length").GetDouble(), min, max);
            Assert.InRange(max, 1, 12);
            Assert.InRange(l.GetProperty("accuracy").GetDouble(), 0, 1);
            Assert.True(l.GetProperty("kl").GetDouble() >= 0); // k3 is never negative
        }
        // The reference is the starting policy: KL 0 at the first step (nothing has moved yet), then positive.
        Assert.Equal(0, log[0].GetProperty("kl").GetDouble(), 12);
        Assert.True(log[2].GetProperty("kl").GetDouble() > 0);
        Assert.True(File.Exists(Path.Combine(run, GrpoTrainer.ReferenceFile)));
        Assert.True(File.Exists(Path.Combine(run, TrainingCheckpoint.FileName)));

        // Samples: the step's two prompts at step 2 (every 2 steps), each with its rewards.
        string samples = File.ReadAllText(Path.Combine(run, GrpoTrainer.SamplesFile));
        Assert.Equal(3, samples.Split("=== step 2 ").Length);
        Assert.DoesNotContain("=== step 1 ", samples);
        Assert.Contains("· digits ", samples);
        Assert.Contains("[user] What is ", samples);

        foreach (string chart in GrpoCharts.Files)
        {
            var svg = XDocument.Load(Path.Combine(run, chart)).Root!;   // well-formed XML
            Assert.Equal("svg", svg.Name.LocalName);
            Assert.Equal("http://www.w3.org/2000/svg", svg.Name.NamespaceName);
            var lines = svg.Descendants(svg.Name.Namespace + "polyline").Where(p => p.Attribute("fill")?.Value == "none" && p.Attribute("stroke-width") != null).ToList();
            Assert.NotEmpty(lines);
            // every curve has one point per logged step
            Assert.All(lines, p => Assert.Equal(3, p.Attribute("points")!.Value.Split(' ').Length));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void DynamicSamplingDropsGroupsWithoutSignalAndSamplesMore()
    {
        string dir = TestData.TempDir("grpo-dyn");
        string data = Prompts(dir, 3);
        using var pool = new ComputePool(2);
        var reward = new UniformOnLineOne(4);
        var o = Options(data, 4) with { PromptsPerStep = 2, NumGenerations = 4, Rewards = ["lineone:1"], DropUniformGroups = true, MaxSamplingRounds = 3 };
        using (var t = GrpoTrainer.Create(o, Path.Combine(dir, "on"), pool, [reward]))
            t.Run();
        var log = Log(Path.Combine(dir, "on"));
        int droppedTotal = log.Sum(l => l.GetProperty("dropped_groups").GetInt32());
        // Every group from line 1 was dropped, no other; the batch was filled unless the rounds ran out.
        Assert.Equal(reward.GroupLines.Count(l => l == 1), droppedTotal);
        Assert.True(droppedTotal > 0, "the uniform prompt was never sampled");
        foreach (var l in log)
        {
            int groups = l.GetProperty("groups").GetInt32(), rounds = l.GetProperty("sampling_rounds").GetInt32();
            Assert.True(groups == 2 || rounds == 3, $"batch of {groups} groups after {rounds} rounds");
            Assert.Equal(rounds > 1, l.GetProperty("dropped_groups").GetInt32() > 0);
        }
        Assert.Equal(reward.GroupLines.Count, log.Sum(l => l.GetProperty("groups").GetInt32()) + droppedTotal);

        // Without the flag the uniform groups stay in the batch (with advantage 0).
        var plain = new UniformOnLineOne(4);
        using (var t = GrpoTrainer.Create(o with { DropUniformGroups = false }, Path.Combine(dir, "off"), pool, [plain]))
            t.Run();
        Assert.All(Log(Path.Combine(dir, "off")), l =>
        {
            Assert.Equal(0, l.GetProperty("dropped_groups").GetInt32());
            Assert.Equal(2, l.GetProperty("groups").GetInt32());
            Assert.Equal(1, l.GetProperty("sampling_rounds").GetInt32());
        });
        Directory.Delete(dir, true);
    }

    [Fact]
    public void ResumeInProcessContinuesBitExactIncludingAReusedBatch()
    {
        string dir = TestData.TempDir("grpo-resume");
        string data = Prompts(dir, 5);
        using var pool = new ComputePool(2);
        // mu = 2: the checkpoint after step 3 holds the batch sampled at step 3, reused at step 4.
        var o = Options(data, 6) with { NumIterations = 2, SaveEvery = 1, Objective = new GrpoSettings { MaxCompletionLength = 10, Beta = 0.02, EpsilonHigh = 0.28 } };
        using (var t = GrpoTrainer.Create(o, Path.Combine(dir, "ref"), pool, [new DigitShare()]))
            t.Run();
        string run = Path.Combine(dir, "run");
        using (var t = GrpoTrainer.Create(o, run, pool, [new DigitShare()]))
        {
            for (int i = 0; i < 3; i++) t.TrainStep();
            t.SaveCheckpoint();
        }
        using (var t = GrpoTrainer.Resume(run, new ComputePool(1), [new DigitShare()]))
        {
            Assert.Equal(3, t.Step);
            t.Run();
        }
        var expected = Log(Path.Combine(dir, "ref"));
        var got = Log(run);
        Assert.Equal(3, got.Count); // steps 4-6 (the first three were not run through Run)
        for (int i = 0; i < 3; i++)
            foreach (string key in (string[])["loss", "grad_norm", "reward", "kl", "entropy", "completions/mean_length", "clip_ratio/region_mean"])
                Assert.Equal(expected[i + 3].GetProperty(key).GetDouble(), got[i].GetProperty(key).GetDouble());
        Directory.Delete(dir, true);
    }

    [Fact]
    public void PolicyFromAnSftRunDirectory()
    {
        string dir = TestData.TempDir("grpo-from-sft");
        using var pool = new ComputePool(2);
        string sft = Path.Combine(dir, "sft");
        using (var t = Sft.SftTrainer.Create(new Sft.SftOptions { InitModel = TestData.TinyQwen, DataPath = TestData.TokenRows(dir, 4), BatchSize = 2, Steps = 1, LearningRate = 0.05 }, sft, pool))
            t.Run(null);
        string run = Path.Combine(dir, "grpo");
        using (var t = GrpoTrainer.Create(Options(Prompts(dir, 2), 1) with { Policy = sft }, run, pool, [new DigitShare()]))
        {
            // the SFT checkpoint's weights, not the file it started from
            using var f = R1Sharp.Gguf.GgufFile.Open(Path.Combine(sft, TrainingCheckpoint.FileName));
            using var trained = ModelGguf.Load(f, pool, withGradients: false);
            Assert.Equal(trained.Parameters.Tensors[0].Span.ToArray(), t.Model.Parameters.Tensors[0].Span.ToArray());
            t.Run();
        }
        // run keys are not model metadata: the GRPO checkpoint holds its own, and SFT refuses to resume it
        var e = Assert.Throws<InvalidDataException>(() => Sft.SftTrainer.Resume(run, pool));
        Assert.Contains("r1 train grpo --resume", e.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void BadSettingsAreOneLineErrors()
    {
        string dir = TestData.TempDir("grpo-bad");
        string data = Prompts(dir, 2);
        using var pool = new ComputePool(1);
        var o = Options(data, 2);
        Assert.Contains("--num-generations", Assert.Throws<ArgumentException>(() => GrpoTrainer.Create(o with { NumGenerations = 1 }, dir, pool)).Message);
        Assert.Contains("unknown reward 'digits'", Assert.Throws<ArgumentException>(() => GrpoTrainer.Create(o, dir, pool)).Message);
        Assert.Contains("exceeds the context", Assert.Throws<InvalidDataException>(() =>
            GrpoTrainer.Create(o with { Objective = new GrpoSettings { MaxCompletionLength = 100_000 } }, dir, pool, [new DigitShare()])).Message);
        File.WriteAllText(Path.Combine(dir, "noanswer.jsonl"), "{\"prompt\":\"What is 1 + 1?\",\"answer\":\"2\"}\n{\"prompt\":\"Hi\"}\n");
        Assert.Contains("noanswer.jsonl:2", Assert.Throws<InvalidDataException>(() =>
            GrpoTrainer.Create(o with { DataPath = Path.Combine(dir, "noanswer.jsonl"), Rewards = ["accuracy:1"] }, dir, pool)).Message);
        Directory.Delete(dir, true);
    }
}
