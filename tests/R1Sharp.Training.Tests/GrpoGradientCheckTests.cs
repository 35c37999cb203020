using R1Sharp.Models;
using R1Sharp.Training.Grpo;
using R1Sharp.Training.Kernels;
using R1Sharp.Training.Sft;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics;

namespace R1Sharp.Training.Tests;

/// <summary>
/// Finite-difference checks of the GRPO gradient: through the temperature-scaled log-softmax kernel, of the whole
/// loss with respect to the logits (against a direct float64 evaluation of TRL's formulas written here), and with
/// respect to parameters of a small random model, with clipping active and inactive, KL on and off, temperature != 1.
/// </summary>
public unsafe class GrpoGradientCheckTests
{
    [Theory, InlineData(1.0), InlineData(0.7), InlineData(1.6)]
    public void TokenLogProbsKernel(double temperature)
    {
        var rng = new Xoshiro256StarStar(11);
        int n = 6, v = 17;
        float[] z = Enumerable.Range(0, n * v).Select(_ => (float)(rng.NextGaussian() * 2)).ToArray();
        float[] mask = [1, 1, 0, 1, 1, 1];
        int[] targets = [3, 16, 5, 0, 9, 9];
        double[] dlogp = Enumerable.Range(0, n).Select(_ => rng.NextGaussian()).ToArray();
        double[] logp = new double[n], entropy = new double[n], lse = new double[n];
        fixed (float* pz = z, pm = mask) fixed (int* pt = targets) fixed (double* pl = logp, pe = entropy, ps = lse)
            TokenLogProbs.Forward(ComputePool.Shared, pz, pt, pm, pl, pe, ps, n, v, temperature);
        for (int i = 0; i < n; i++)
        {
            if (mask[i] == 0) { Assert.Equal(0.0, logp[i]); continue; }
            var p = Softmax(z.AsSpan(i * v, v), temperature);
            Assert.Equal(Math.Log(p[targets[i]]), logp[i], 1e-9);
            Assert.Equal(-p.Sum(x => x * Math.Log(x)), entropy[i], 1e-9);
        }
        // L = sum_n dlogp[n] logp[n]: the backward pass must give dL/dz.
        double Loss(double[] zz)
        {
            double s = 0;
            for (int i = 0; i < n; i++)
                if (mask[i] != 0) s += dlogp[i] * Math.Log(Softmax(zz.AsSpan(i * v, v), temperature)[targets[i]]);
            return s;
        }
        float[] grad = (float[])z.Clone();
        fixed (float* pz = grad, pm = mask) fixed (int* pt = targets) fixed (double* pd = dlogp, ps = lse)
            TokenLogProbs.Backward(ComputePool.Shared, pz, pt, pm, pd, ps, n, v, temperature);
        CheckAgainstFiniteDifferences("dlogits", z.Select(x => (double)x).ToArray(), grad, Loss, h: 1e-5, tol: 1e-5);
        Assert.All(grad.AsSpan(2 * v, v).ToArray(), g => Assert.Equal(0f, g)); // masked position
    }

    /// <summary>A case: loss type, beta, epsilons, temperature, and the log-ratio offsets old/ref get from the policy.</summary>
    public static TheoryData<string, GrpoLossType, double, double, double, double, double[]> Cases => new()
    {
        // old = logp - offset: ratios e^offset = 0.67, 0.90, 1.05, 1.35: clipping active for both signs of advantage
        { "clip active, KL on, T 0.7", GrpoLossType.Grpo, 0.05, 0.2, 0.28, 0.7, [-0.4, -0.1, 0.05, 0.3] },
        { "clip inactive, no KL", GrpoLossType.Bnpo, 0.0, 0.2, 0.2, 1.0, [-0.1, 0.05, 0.12, -0.03] },
        { "dr_grpo, KL on, T 1.3", GrpoLossType.DrGrpo, 0.1, 0.2, 0.2, 1.3, [0.5, -0.6, 0.02] },
        { "dapo, clip-higher, KL on", GrpoLossType.Dapo, 0.04, 0.2, 0.28, 1.0, [0.26, -0.3, 0.4, 0.0, -0.15] },
    };

    private static TrainableModel TinyModel()
    {
        var config = ModelConfig.Dense("qwen2", vocabSize: 13, embeddingLength: 16, layerCount: 1, headCount: 2, headCountKv: 1,
            feedForwardLength: 24, contextLength: 32, qkvBias: true);
        var model = new TrainableModel(config, ComputePool.Shared);
        new ModelConfigFile(config, "", 0.5f).Initialize(model, 5);
        return model;
    }

    private static List<GrpoRow> TinyRows()
    {
        var rng = new Xoshiro256StarStar(21);
        int[] Ids(int n) => Enumerable.Range(0, n).Select(_ => rng.NextInt(13)).ToArray();
        double[][] rewards = [[1, 0, 0.5], [0, 0, 1, 0.2]];
        var rows = new List<GrpoRow>();
        for (int g = 0; g < rewards.Length; g++)
        {
            int[] prompt = Ids(2 + g * 2);
            foreach (double r in rewards[g]) rows.Add(new GrpoRow(prompt, Ids(2 + rows.Count % 4), r, g));
        }
        return rows;
    }

    [Theory, MemberData(nameof(Cases))]
    public void LossGradientMatchesFiniteDifferences(string name, GrpoLossType type, double beta, double eps, double epsHigh, double temperature, double[] offsets)
    {
        var settings = new GrpoSettings { LossType = type, Beta = beta, Epsilon = eps, EpsilonHigh = epsHigh, Temperature = temperature, MaxCompletionLength = 8 };
        var objective = new GrpoObjective(settings);
        using var model = TinyModel();
        var rows = TinyRows();
        var batch = new GrpoBatch(rows);
        var advantages = GrpoAdvantages.Compute(rows.Select(r => r.Reward).ToList(), rows.Select(r => r.Group).ToList(), RewardScaling.Group);
        double[] logp = objective.LogProbs(model, batch), old = new double[logp.Length], reference = new double[logp.Length];
        for (int r = 0, i = 0; r < rows.Count; r++)
            for (int k = 0; k < rows[r].Completion.Length; k++, i++)
            {
                int p = batch.Position(r, k);
                old[p] = logp[p] - offsets[i % offsets.Length];
                reference[p] = logp[p] + 0.3 * offsets[(i + 1) % offsets.Length];
            }
        // dapo: this batch as one of two micro-batches of a step with twice its tokens
        var acc = type == GrpoLossType.Dapo ? new GrpoAccumulation(2, 2 * batch.TokenCount) : GrpoAccumulation.Single(batch);

        model.Gradients.Clear();
        var result = objective.ForwardBackward(model, batch, advantages, old, reference, acc, backward: true);
        float[] dlogits = model.Logits.ToArray();
        objective.ForwardBackward(model, batch, advantages, old, reference, acc, backward: false);
        double[] logits = model.Logits.ToArray().Select(x => (double)x).ToArray();

        bool clipping = offsets.Any(o => Math.Exp(o) < 1 - eps || Math.Exp(o) > 1 + epsHigh);
        Assert.Equal(clipping, result.ClipRegion > 0);
        Assert.Equal(beta != 0, result.Kl is > 0);
        double Loss(double[] z) => ReferenceLoss(z, model.Config.VocabSize, batch, advantages, old, reference, settings, acc);
        Assert.Equal(Loss(logits), result.Loss, 1e-9 * Math.Abs(result.Loss) + 1e-12);
        CheckAgainstFiniteDifferences($"{name}: dlogits", logits, dlogits, Loss, h: 1e-5, tol: 1e-5);

        // A few parameters through the whole model: central differences of the objective's own loss.
        var analytic = model.Gradients;
        foreach (string tensor in new[] { "output.weight", "blk.0.attn_q.weight", "blk.0.ffn_down.weight", "token_embd.weight", "output_norm.weight" })
        {
            var p = model.Parameters[tensor].Span;
            var g = analytic[tensor].Span.ToArray();
            float max = g.Max(MathF.Abs);
            Assert.True(max > 0, $"{name}: {tensor} has no gradient");
            int largest = Array.IndexOf(g, g.MaxBy(MathF.Abs));
            foreach (int i in new[] { largest, (largest * 7 + 3) % g.Length })
            {
                float keep = p[i], h = 1e-2f * Math.Max(1e-1f, Math.Abs(keep));
                p[i] = keep + h; double up = objective.ForwardBackward(model, batch, advantages, old, reference, acc, backward: false).Loss;
                p[i] = keep - h; double down = objective.ForwardBackward(model, batch, advantages, old, reference, acc, backward: false).Loss;
                p[i] = keep;
                double fd = (up - down) / (2.0 * h);
                Assert.True(Math.Abs(fd - g[i]) <= 2e-2 * max, $"{name}: {tensor}[{i}] analytic {g[i]}, finite difference {fd} (largest {max})");
            }
        }
    }

    /// <summary>TRL's GRPO loss evaluated directly from logits [B * T, V] in float64.</summary>
    private static double ReferenceLoss(double[] logits, int v, GrpoBatch batch, double[] advantages, double[] old, double[] reference,
                                        GrpoSettings s, GrpoAccumulation acc)
    {
        double total = 0, perRowMeans = 0;
        for (int r = 0; r < batch.Count; r++)
        {
            var row = batch.Rows[r];
            double rowSum = 0;
            for (int k = 0; k < row.Completion.Length; k++)
            {
                int p = batch.Position(r, k);
                double lp = Math.Log(Softmax(logits.AsSpan(p * v, v), s.Temperature)[row.Completion[k]]);
                double ratio = Math.Exp(lp - old[p]), a = advantages[r];
                double l = -Math.Min(ratio * a, Math.Clamp(ratio, 1 - s.Epsilon, 1 + s.UpperEpsilon) * a);
                double d = reference[p] - lp;
                l += s.Beta * (Math.Exp(d) - d - 1);
                rowSum += l;
            }
            total += rowSum;
            perRowMeans += rowSum / row.Completion.Length;
        }
        return s.LossType switch
        {
            GrpoLossType.Grpo => perRowMeans / batch.Count / acc.Steps,
            GrpoLossType.Bnpo => total / batch.TokenCount / acc.Steps,
            GrpoLossType.DrGrpo => total / (batch.Count * s.MaxCompletionLength) / acc.Steps,
            _ => total / acc.Tokens,
        };
    }

    private static double[] Softmax(ReadOnlySpan<float> z, double temperature)
    {
        var d = new double[z.Length];
        for (int i = 0; i < z.Length; i++) d[i] = z[i];
        return Softmax(d, temperature);
    }

    private static double[] Softmax(ReadOnlySpan<double> z, double temperature)
    {
        double max = double.NegativeInfinity;
        foreach (double x in z) max = Math.Max(max, x / temperature);
        var p = new double[z.Length];
        double sum = 0;
        for (int i = 0; i < z.Length; i++) sum += p[i] = Math.Exp(z[i] / temperature - max);
        for (int i = 0; i < z.Length; i++) p[i] /= sum;
        return p;
    }

    /// <summary>Every analytic[i] against the central difference of <paramref name="loss"/> in x[i] (x is restored).</summary>
    private static void CheckAgainstFiniteDifferences(string what, double[] x, float[] analytic, Func<double[], double> loss, double h, double tol)
    {
        double max = analytic.Max(a => Math.Abs(a));
        Assert.True(max > 0, $"{what}: the gradient is zero");
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            x[i] = keep + h; double up = loss(x);
            x[i] = keep - h; double down = loss(x);
            x[i] = keep;
            double fd = (up - down) / (2 * h);
            Assert.True(Math.Abs(fd - analytic[i]) <= tol * max + 1e-9, $"{what}[{i}]: analytic {analytic[i]}, finite difference {fd} (largest {max})");
        }
    }
}
