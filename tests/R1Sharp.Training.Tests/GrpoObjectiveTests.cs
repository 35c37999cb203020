using R1Sharp.Models;
using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.Training.Grpo;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Tests;

/// <summary>The pieces of the GRPO objective against hand-computed values and properties (batching, masking, accumulation).</summary>
public class GrpoObjectiveTests
{
    [Fact]
    public void TokenLossMatchesHandComputedValues()
    {
        // ratio e^0.5 = 1.6487 above 1 + 0.28: with A > 0 the clipped term (1.28) is the minimum, no gradient.
        double l = GrpoTokenLoss.Evaluate(-1, -1.5, 0, 1, 0.2, 0.28, 0, out double d, out double kl, out var clip);
        Assert.Equal(-1.28, l, 12);
        Assert.Equal(0, d);
        Assert.Equal(TokenClip.High, clip);
        Assert.Equal(0, kl);
        // same ratio, A < 0: unclipped term, dL/dlogp = -A ratio.
        l = GrpoTokenLoss.Evaluate(-1, -1.5, 0, -1, 0.2, 0.28, 0, out d, out _, out clip);
        Assert.Equal(Math.Exp(0.5), l, 12);
        Assert.Equal(Math.Exp(0.5), d, 12);
        Assert.Equal(TokenClip.None, clip);
        // ratio e^-0.5 = 0.6065 below 0.8 with A < 0: clipped at 0.8, loss 0.8, no gradient.
        l = GrpoTokenLoss.Evaluate(-1.5, -1, 0, -1, 0.2, 0.28, 0, out d, out _, out clip);
        Assert.Equal(0.8, l, 12);
        Assert.Equal(0, d);
        Assert.Equal(TokenClip.Low, clip);
        // inside the range with A = 2 and a KL term: ratio e^0.1; d = ref - logp = -0.2.
        l = GrpoTokenLoss.Evaluate(-1, -1.1, -1.2, 2, 0.2, 0.2, 0.1, out d, out kl, out clip);
        double r = Math.Exp(0.1), k3 = Math.Exp(-0.2) + 0.2 - 1;
        Assert.Equal(0.018730753077981859, kl, 15);
        Assert.Equal(-2 * r + 0.1 * k3, l, 12);
        Assert.Equal(-2 * r + 0.1 * (1 - Math.Exp(-0.2)), d, 12);
        Assert.Equal(TokenClip.None, clip);
        // ratio 1 (old = policy), A = 0: no loss, no gradient.
        Assert.Equal(0, GrpoTokenLoss.Evaluate(-3, -3, 0, 0, 0.2, 0.2, 0, out d, out _, out _));
        Assert.Equal(0, d);
    }

    [Fact]
    public void AdvantagesMatchHandComputedValues()
    {
        double[] rewards = [0, 1, 0, 1, 0.3, 0.3, 5];
        int[] groups = [7, 7, 7, 7, 2, 2, 9];
        double s = Math.Sqrt(1.0 / 3); // std (n - 1) of 0, 1, 0, 1
        var group = GrpoAdvantages.Compute(rewards, groups, RewardScaling.Group);
        Assert.Equal([-0.5 / (s + 1e-4), 0.5 / (s + 1e-4), -0.5 / (s + 1e-4), 0.5 / (s + 1e-4), 0, 0, 0], group, new ToleranceComparer(1e-12));
        var none = GrpoAdvantages.Compute(rewards, groups, RewardScaling.None);
        Assert.Equal([-0.5, 0.5, -0.5, 0.5, 0, 0, 0], none, new ToleranceComparer(1e-12));
        double mean = rewards.Average(), sb = Math.Sqrt(rewards.Sum(x => (x - mean) * (x - mean)) / (rewards.Length - 1));
        var batch = GrpoAdvantages.Compute(rewards, groups, RewardScaling.Batch);
        Assert.Equal(none.Select(a => a / (sb + 1e-4)), batch, new ToleranceComparer(1e-12));
        // equal rewards that do not sum exactly in floating point still give exactly 0
        Assert.All(GrpoAdvantages.Compute([0.1, 0.1, 0.1], [0, 0, 0], RewardScaling.Group), a => Assert.Equal(0.0, a));
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tol;
        public int GetHashCode(double x) => 0;
    }

    [Fact]
    public void BatchPutsTheLossOnCompletionTokensOnly()
    {
        var rows = new List<GrpoRow>
        {
            new([5, 6, 7], [8, 9], 1, 0),
            new([5], [1, 2, 3, 4], 0, 0),
            new([5, 6], [3], 0, 0, NoLoss: true),
        };
        var batch = new GrpoBatch(rows);
        Assert.Equal(4, batch.SeqLength); // longest row: 5 tokens, 4 predicted positions
        Assert.Equal(6, batch.TokenCount);
        Assert.Equal(2, batch.Position(0, 0));
        Assert.Equal(4 + 0, batch.Position(1, 0));
        using var model = new TrainableModel(ModelConfig.Dense("llama", vocabSize: 10, embeddingLength: 8, layerCount: 1, headCount: 2,
            headCountKv: 2, feedForwardLength: 8, contextLength: 16), ComputePool.Shared);
        batch.Fill(model);
        int[] tokens = [5, 6, 7, 8, 5, 1, 2, 3, 5, 6, 0, 0];
        int[] targets = [6, 7, 8, 9, 1, 2, 3, 4, 6, 3, 0, 0];
        float[] weights = [0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0];
        Assert.Equal(tokens, model.Tokens[..12].ToArray());
        Assert.Equal(targets, model.Targets[..12].ToArray());
        Assert.Equal(weights, model.Weights[..12].ToArray());
    }

    private static (TrainableModel Model, List<GrpoRow> Rows, double[] Old, double[] Ref, GrpoBatch Batch) Golden(GrpoObjective objective)
    {
        var json = JsonDocument.Parse(File.ReadAllText(GrpoGoldenTests.GrpoFixture("tiny-llama-s1-f32.grpo.json"))).RootElement;
        var rows = GrpoGoldenTests.Rows(json);
        var batch = new GrpoBatch(rows);
        double[] LogProbs(string file)
        {
            using var f = GgufFile.Open(GrpoGoldenTests.GrpoFixture(file));
            using var m = ModelGguf.Load(f, ComputePool.Shared, withGradients: false);
            return objective.LogProbs(m, batch);
        }
        double[] old = LogProbs("tiny-llama-s1-f32.grpo-old.gguf"), reference = LogProbs("tiny-llama-s1-f32.grpo-ref.gguf");
        using var file = GgufFile.Open(TestData.TinyLlama);
        return (ModelGguf.Load(file, ComputePool.Shared), rows, old, reference, batch);
    }

    private static double[] Advantages(List<GrpoRow> rows, RewardScaling s) =>
        GrpoAdvantages.Compute(rows.Select(r => r.Reward).ToList(), rows.Select(r => r.Group).ToList(), s);

    [Fact]
    public void FrozenModelsRunForwardButRefuseGradients()
    {
        var objective = new GrpoObjective(new GrpoSettings { MaxCompletionLength = 32 });
        var rows = new List<GrpoRow> { new([1, 2, 3], [4, 5], 1, 0), new([1, 2, 3], [6], 0, 0) };
        var batch = new GrpoBatch(rows);
        using var file = GgufFile.Open(TestData.TinyQwen);
        using var frozen = ModelGguf.Load(file, ComputePool.Shared, withGradients: false);
        using var full = ModelGguf.Load(file, ComputePool.Shared);
        Assert.Equal(objective.LogProbs(full, batch), objective.LogProbs(frozen, batch));
        Assert.Throws<InvalidOperationException>(() => frozen.Gradients.Clear());
        Assert.Throws<InvalidOperationException>(() => objective.ForwardBackward(frozen, batch, [1, -1], null, null, GrpoAccumulation.Single(batch), backward: true));
    }

    [Fact]
    public void DapoOverMicroBatchesEqualsDapoOverTheWholeBatch()
    {
        var objective = new GrpoObjective(new GrpoSettings { LossType = GrpoLossType.Dapo, Beta = 0.04, EpsilonHigh = 0.28, MaxCompletionLength = 32 });
        var (model, rows, old, reference, batch) = Golden(objective);
        using var m = model;
        var a = Advantages(rows, RewardScaling.Group);
        m.Gradients.Clear();
        double whole = objective.ForwardBackward(m, batch, a, old, reference, GrpoAccumulation.Single(batch), backward: true).Loss;
        float[] expected = m.Gradients.All.ToArray();

        // Two micro-batches (rows 0-4 and 5-11) of one optimizer step: same loss and gradient.
        m.Gradients.Clear();
        var acc = new GrpoAccumulation(2, batch.TokenCount);
        double sum = 0;
        foreach (var (start, count) in new[] { (0, 5), (5, 7) })
        {
            var part = new GrpoBatch(rows.GetRange(start, count));
            double[] Slice(double[] full)
            {
                var s = new double[part.Positions];
                for (int r = 0; r < count; r++)
                    for (int k = 0; k < rows[start + r].Completion.Length; k++) s[part.Position(r, k)] = full[batch.Position(start + r, k)];
                return s;
            }
            sum += objective.ForwardBackward(m, part, a.AsSpan(start, count), Slice(old), Slice(reference), acc, backward: true).Loss;
        }
        Assert.Equal(whole, sum, 1e-6 * Math.Abs(whole));
        float max = expected.Max(MathF.Abs);
        var got = m.Gradients.All;
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-4 * max, $"gradient {i}: {got[i]} vs {expected[i]}");
    }

    [Fact]
    public void WithoutAnOldModelEveryRatioIsOneAndDapoEqualsBnpo()
    {
        var bnpo = new GrpoObjective(new GrpoSettings { LossType = GrpoLossType.Bnpo, MaxCompletionLength = 32 });
        var dapo = new GrpoObjective(new GrpoSettings { LossType = GrpoLossType.Dapo, MaxCompletionLength = 32 });
        var (model, rows, _, _, batch) = Golden(bnpo);
        using var m = model;
        var a = Advantages(rows, RewardScaling.Group);
        var selfOld = bnpo.LogProbs(m, batch);
        var r1 = bnpo.ForwardBackward(m, batch, a, null, null, GrpoAccumulation.Single(batch), backward: false);
        var r2 = bnpo.ForwardBackward(m, batch, a, selfOld, null, GrpoAccumulation.Single(batch), backward: false);
        var r3 = dapo.ForwardBackward(m, batch, a, null, null, GrpoAccumulation.Single(batch), backward: false);
        Assert.Equal(r1.Loss, r2.Loss);
        Assert.Equal(r1.Loss, r3.Loss);
        Assert.Equal(0, r1.ClipRegion);
        Assert.Null(r1.Kl);
        // ratio 1: L_t = -A, so the loss is -sum_i A_i |o_i| / tokens
        double expected = -rows.Select((r, i) => a[i] * r.Completion.Length).Sum() / batch.TokenCount;
        Assert.Equal(expected, r1.Loss, 1e-12);
    }

    [Fact]
    public void RowsWithoutLossGetNoGradientButCountInGrpoMean()
    {
        var objective = new GrpoObjective(new GrpoSettings { LossType = GrpoLossType.Grpo, Beta = 0.04, MaxCompletionLength = 32 });
        var (model, rows, old, reference, batch) = Golden(objective);
        using var m = model;
        var a = Advantages(rows, RewardScaling.Group);
        var full = objective.ForwardBackward(m, batch, a, old, reference, GrpoAccumulation.Single(batch), backward: false);
        // Row 3 masked (as mask_truncated_completions does): its tokens leave the sums, the mean still divides by 12 rows.
        var masked = rows.Select((r, i) => i == 3 ? r with { NoLoss = true } : r).ToList();
        var mb = new GrpoBatch(masked);
        var part = objective.ForwardBackward(m, mb, a, old, reference, GrpoAccumulation.Single(mb), backward: false);
        Assert.Equal(full.Tokens - rows[3].Completion.Length, part.Tokens);
        // the masked row's own contribution, recomputed from its tokens alone
        var alone = new GrpoBatch([rows[3]]);
        double[] Slice(double[] x) => Enumerable.Range(0, alone.Positions).Select(p => p < rows[3].Prompt.Length - 1 ? 0 : x[batch.Position(3, p - rows[3].Prompt.Length + 1)]).ToArray();
        double own = objective.ForwardBackward(m, alone, a.AsSpan(3, 1), Slice(old), Slice(reference), GrpoAccumulation.Single(alone), backward: false).Loss;
        Assert.Equal(full.Loss - own / rows.Count, part.Loss, 1e-9);
    }

    [Theory]
    [InlineData("{\"prompt\":[1,2],\"completion\":[3],\"reward\":1}", "t.jsonl:2: \"group\" must be an integer")]
    [InlineData("{\"prompt\":[1,2],\"completion\":[],\"reward\":1,\"group\":0}", "t.jsonl:2: \"completion\" is empty")]
    [InlineData("{\"prompt\":[1,2.5],\"completion\":[3],\"reward\":1,\"group\":0}", "t.jsonl:2: \"prompt\" must be an array of integer token ids")]
    [InlineData("{\"prompt\":[1,2],\"completion\":[3],\"reward\":\"high\",\"group\":0}", "t.jsonl:2: \"reward\" must be a finite number")]
    [InlineData("{\"prompt\":[1,2],\"completion\":[300],\"reward\":1,\"group\":0}", "t.jsonl:2: token id 300 is outside the vocabulary (size 300)")]
    [InlineData("{\"prompt\":[1,2,3,4,5,6,7],\"completion\":[3,4],\"reward\":1,\"group\":0}", "t.jsonl:2: prompt and completion have 9 tokens, longer than the context of 8")]
    [InlineData("{\"prompt\":[1],\"completion\":[3,4,5,6,7],\"reward\":1,\"group\":0}", "t.jsonl:2: completion of 5 tokens is longer than max-completion-length 4")]
    [InlineData("{\"prompt\":[1],\"completion\":[3]", "t.jsonl:2: malformed JSON")]
    public void BadRowsAreReportedWithTheirLine(string row, string message)
    {
        string dir = TestData.TempDir("grpo-rows");
        string path = Path.Combine(dir, "t.jsonl");
        File.WriteAllLines(path, ["{\"prompt\":[1],\"completion\":[2],\"reward\":0.5,\"group\":3}", row]);
        var e = Assert.Throws<InvalidDataException>(() => GrpoRows.Load(path, 300, 8, 4));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void SettingsRejectUnknownNamesAndBadValues()
    {
        Assert.Equal(GrpoLossType.DrGrpo, GrpoSettings.ParseLossType("dr_grpo"));
        Assert.Equal("unknown loss type 'ppo' (expected grpo, bnpo, dr_grpo or dapo)", Assert.Throws<ArgumentException>(() => GrpoSettings.ParseLossType("ppo")).Message);
        Assert.Throws<ArgumentException>(() => GrpoSettings.ParseScaleRewards("std"));
        Assert.Throws<ArgumentException>(() => new GrpoObjective(new GrpoSettings { Temperature = 0 }));
        Assert.Throws<ArgumentException>(() => new GrpoObjective(new GrpoSettings { Beta = -1 }));
        var defaults = new GrpoSettings(); // TRL's GRPOConfig defaults
        Assert.Equal((GrpoLossType.Dapo, 0.0, 0.2, 0.2, RewardScaling.Group, 1.0, 256),
                     (defaults.LossType, defaults.Beta, defaults.Epsilon, defaults.UpperEpsilon, defaults.ScaleRewards, defaults.Temperature, defaults.MaxCompletionLength));
    }
}
