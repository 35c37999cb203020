using R1Sharp.Inference.Sampling;

namespace R1Sharp.Inference.Tests.Sampling;

public class SamplerTests
{
    private static float[] LogitsOf(params double[] probs) => probs.Select(p => (float)Math.Log(p)).ToArray();

    private static int[] Set(Sampler s, float[] logits)
    {
        var dest = new int[logits.Length];
        int n = s.CandidateSet(logits, dest);
        return dest[..n].OrderBy(x => x).ToArray();
    }

    [Fact]
    public void GreedyTakesTheHighestLogitAndTheLowestIdOnTies()
    {
        var s = new Sampler(SamplingOptions.Greedy, 5);
        Assert.Equal(3, s.Sample([0.1f, 2f, -1f, 5f, 4.9f]));
        Assert.Equal(1, s.Sample([0.1f, 5f, -1f, 5f, 4.9f]));
    }

    [Fact]
    public void PenaltiesMatchHandComputedLogits()
    {
        var s = new Sampler(new SamplingOptions { RepetitionPenalty = 2, FrequencyPenalty = 0.5f, PresencePenalty = 0.25f, PenaltyWindow = 64 }, 4);
        foreach (int t in new[] { 0, 0, 1 }) s.Accept(t);
        var p = s.ApplyPenalties([2f, -1f, 0.5f, 3f]).ToArray();
        // token 0 (seen twice): 2/2 - 2*0.5 - 0.25; token 1 (once): -1*2 - 0.5 - 0.25; others untouched.
        Assert.Equal([-0.25f, -2.75f, 0.5f, 3f], p);
    }

    [Fact]
    public void PenaltyWindowOnlyLooksAtTheLastTokens()
    {
        var s = new Sampler(new SamplingOptions { PresencePenalty = 1, PenaltyWindow = 2 }, 4);
        foreach (int t in new[] { 0, 1, 2, 2 }) s.Accept(t);
        Assert.Equal([1f, 1f, 0f, 1f], s.ApplyPenalties([1f, 1f, 1f, 1f]).ToArray());
        var all = new Sampler(new SamplingOptions { FrequencyPenalty = 1, PenaltyWindow = -1 }, 4);
        foreach (int t in new[] { 0, 1, 2, 2 }) all.Accept(t);
        Assert.Equal([0f, 0f, -1f, 1f], all.ApplyPenalties([1f, 1f, 1f, 1f]).ToArray());
    }

    [Fact]
    public void RepetitionPenaltyChangesTheGreedyChoice()
    {
        var s = new Sampler(new SamplingOptions { Temperature = 0, RepetitionPenalty = 1.5f }, 3);
        Assert.Equal(0, s.Sample([3f, 2.5f, 0f]));
        s.Accept(0);
        Assert.Equal(1, s.Sample([3f, 2.5f, 0f])); // 3 / 1.5 = 2 < 2.5
    }

    [Fact]
    public void TopKKeepsTheKBest()
    {
        var s = new Sampler(new SamplingOptions { Temperature = 1, TopP = 1, TopK = 3 }, 6);
        Assert.Equal([1, 3, 5], Set(s, [0f, 5f, 1f, 4f, 1f, 3f]));
        // ties at the boundary: lower id wins
        Assert.Equal([0, 1], Set(new Sampler(new SamplingOptions { Temperature = 1, TopP = 1, TopK = 2 }, 4), [1f, 1f, 1f, 0f]));
    }

    [Theory]
    [InlineData(0.45, new[] { 0 })]          // 0.5 already reaches 0.45
    [InlineData(0.75, new[] { 0, 1 })]       // 0.5 + 0.3 = 0.8
    [InlineData(0.85, new[] { 0, 1, 2 })]    // 0.95
    [InlineData(0.99, new[] { 0, 1, 2, 3 })]
    public void TopPKeepsTheShortestPrefixReachingP(double p, int[] expected)
    {
        var s = new Sampler(new SamplingOptions { Temperature = 1, TopP = (float)p }, 4);
        Assert.Equal(expected, Set(s, LogitsOf(0.5, 0.3, 0.15, 0.05)));
    }

    [Theory]
    [InlineData(0.2, new[] { 0, 1, 2 })]   // keep p >= 0.1
    [InlineData(0.5, new[] { 0, 1 })]      // keep p >= 0.25
    [InlineData(0.9, new[] { 0 })]
    public void MinPKeepsTokensAboveAFractionOfTheBest(double minP, int[] expected)
    {
        var s = new Sampler(new SamplingOptions { Temperature = 1, TopP = 1, MinP = (float)minP }, 4);
        Assert.Equal(expected, Set(s, LogitsOf(0.5, 0.3, 0.15, 0.05)));
    }

    [Fact]
    public void TopPOverTopKRenormalizesOverTheKSurvivors()
    {
        // top-k=2 leaves {0.5, 0.3} -> renormalized 0.625, 0.375: top-p 0.6 keeps only the first.
        var s = new Sampler(new SamplingOptions { Temperature = 1, TopK = 2, TopP = 0.6f }, 4);
        Assert.Equal([0], Set(s, LogitsOf(0.5, 0.3, 0.15, 0.05)));
    }

    [Fact]
    public void TopPOnALargeVocabularyEqualsABruteForceComputation()
    {
        var rng = new Random(7);
        int v = 50_000;
        var logits = Enumerable.Range(0, v).Select(_ => (float)(rng.NextDouble() * 12 - 6)).ToArray();
        foreach (float p in new[] { 0.5f, 0.9f, 0.95f })
        {
            var s = new Sampler(new SamplingOptions { Temperature = 0.6f, TopP = p }, v);
            double max = logits.Max(), z = logits.Sum(l => Math.Exp(l - max));
            var order = Enumerable.Range(0, v).OrderByDescending(i => logits[i]).ThenBy(i => i).ToArray();
            double acc = 0;
            int keep = 0;
            while (acc < p * z) acc += Math.Exp(logits[order[keep++]] - max);
            Assert.Equal(order[..keep].OrderBy(x => x).ToArray(), Set(s, logits));
        }
    }

    /// <summary>Pearson chi-square of observed counts against expected probabilities.</summary>
    private static double ChiSquare(int[] counts, double[] probs, int n) =>
        counts.Select((c, i) => probs[i] == 0 ? (c == 0 ? 0 : double.PositiveInfinity) : (c - n * probs[i]) * (c - n * probs[i]) / (n * probs[i])).Sum();

    [Theory]
    [InlineData(1.0, 1ul)]
    [InlineData(0.6, 2ul)]
    [InlineData(1.7, 3ul)]
    public void DrawsFollowTheSoftmaxAtTheTemperature(double temperature, ulong seed)
    {
        float[] logits = [1.2f, -0.3f, 0.7f, 2.0f, -1.5f, 0.0f, 1.9f, -0.8f];
        var s = new Sampler(new SamplingOptions { Temperature = (float)temperature, TopP = 1, Seed = seed }, logits.Length);
        const int n = 40_000;
        var counts = new int[logits.Length];
        for (int i = 0; i < n; i++) counts[s.Sample(logits)]++;
        var w = logits.Select(l => Math.Exp(l / temperature)).ToArray();
        var probs = w.Select(x => x / w.Sum()).ToArray();
        // 7 degrees of freedom: P(chi2 > 24.32) = 0.001; the seed is fixed, so this cannot flake.
        Assert.True(ChiSquare(counts, probs, n) < 24.32, string.Join(",", counts));
    }

    [Fact]
    public void TruncatedDrawsFollowTheRenormalizedSoftmax()
    {
        // top-p 0.75 keeps tokens 0 and 1 (p 0.5, 0.3); at temperature 0.5 they are drawn as 0.5^2 : 0.3^2.
        var s = new Sampler(new SamplingOptions { Temperature = 0.5f, TopP = 0.75f, Seed = 11 }, 4);
        var logits = LogitsOf(0.5, 0.3, 0.15, 0.05);
        const int n = 20_000;
        var counts = new int[4];
        for (int i = 0; i < n; i++) counts[s.Sample(logits)]++;
        Assert.Equal(0, counts[2] + counts[3]);
        double p0 = 0.25 / (0.25 + 0.09);
        Assert.True(ChiSquare(counts[..2], [p0, 1 - p0], n) < 10.83, string.Join(",", counts)); // df 1, p = 0.001
    }

    [Fact]
    public void SameSeedSameTokensDifferentSeedDifferentTokens()
    {
        var rng = new Random(3);
        var logits = Enumerable.Range(0, 1000).Select(_ => (float)rng.NextDouble() * 4).ToArray();
        int[] Run(ulong seed)
        {
            var s = new Sampler(new SamplingOptions { Seed = seed, Temperature = 1, TopP = 0.95f, RepetitionPenalty = 1.1f }, logits.Length);
            var r = new int[64];
            for (int i = 0; i < r.Length; i++) s.Accept(r[i] = s.Sample(logits));
            return r;
        }
        Assert.Equal(Run(42), Run(42));
        Assert.NotEqual(Run(42), Run(43));
    }

    [Fact]
    public void TopLogProbsAreTheLargestLogSoftmaxValues()
    {
        float[] logits = [1f, 3f, 2f, 3f, -1f];
        var s = new Sampler(new SamplingOptions(), logits.Length);
        var top = s.TopLogProbs(logits, 3);
        double z = logits.Sum(l => Math.Exp(l));
        Assert.Equal([1, 3, 2], top.Select(t => t.Token).ToArray());
        foreach (var (t, lp) in top) Assert.Equal(Math.Log(Math.Exp(logits[t]) / z), lp, 5);
        Assert.Equal(Math.Log(Math.Exp(1) / z), Sampler.LogProb(logits, 0), 5);
    }

    [Fact]
    public void BannedTokensNeverComeOut()
    {
        var greedy = new Sampler(SamplingOptions.Greedy, 4);
        Assert.Equal(1, greedy.Sample([3f, 2f, 1f, 0f], [0], null));
        Assert.Equal(3, greedy.Sample([3f, 2f, 1f, 0f], [0, 1, 2], null));
        Assert.Throws<InvalidOperationException>(() => greedy.Sample([3f, 2f, 1f, 0f], [0, 1, 2, 3], null));
        var s = new Sampler(new SamplingOptions { Temperature = 1.5f, TopP = 1, Seed = 4 }, 4);
        for (int i = 0; i < 2000; i++) Assert.NotEqual(2, s.Sample([0f, 0f, 5f, 0f], [2], null));
    }

    /// <summary>Allows even token ids only.</summary>
    private sealed class EvenOnly : ITokenConstraint
    {
        public int Masks { get; private set; }
        public void Mask(Span<float> logits) { Masks++; for (int t = 1; t < logits.Length; t += 2) logits[t] = float.NegativeInfinity; }
        public bool Allows(int token) => token % 2 == 0;
        public void Accept(int token) { }
        public bool CanEnd => true;
        public bool MustEnd => false;
    }

    [Fact]
    public void AConstraintRedrawsFromTheMaskedDistribution()
    {
        // Without truncation, "draw; if rejected, mask and draw again" is exactly the masked softmax: p(t) / p(allowed).
        float[] logits = [0.5f, 1.5f, -0.2f, 0.9f, 0.1f, 2.0f];
        var s = new Sampler(new SamplingOptions { Temperature = 1, TopP = 1, Seed = 21 }, logits.Length);
        var c = new EvenOnly();
        const int n = 30_000;
        var counts = new int[3];
        for (int i = 0; i < n; i++)
        {
            int t = s.Sample(logits, default, c);
            Assert.Equal(0, t % 2);
            counts[t / 2]++;
        }
        var w = new[] { 0, 2, 4 }.Select(t => Math.Exp(logits[t])).ToArray();
        Assert.True(ChiSquare(counts, w.Select(x => x / w.Sum()).ToArray(), n) < 13.82, string.Join(",", counts)); // df 2, p = 0.001
        // Allowed draws are taken without masking: the mask runs only when the first draw is odd.
        double odd = new[] { 1, 3, 5 }.Sum(t => Math.Exp(logits[t])) / logits.Sum(l => Math.Exp(l));
        Assert.InRange(c.Masks / (double)n, odd - 0.02, odd + 0.02);
        Assert.Equal(0, new Sampler(SamplingOptions.Greedy, logits.Length).Sample(logits, default, c)); // greedy: the best allowed (5 is better, but odd)
    }

    [Fact]
    public void SampleDoesNotAllocate()
    {
        var rng = new Random(5);
        var logits = Enumerable.Range(0, 32_000).Select(_ => (float)rng.NextDouble() * 10).ToArray();
        foreach (var o in new[]
        {
            new SamplingOptions { Seed = 1 },
            new SamplingOptions { Seed = 1, TopK = 40, MinP = 0.05f, RepetitionPenalty = 1.1f, FrequencyPenalty = 0.1f },
            SamplingOptions.Greedy,
        })
        {
            var s = new Sampler(o, logits.Length);
            int[] banned = [7, 11];
            var even = new EvenOnly();
            for (int i = 0; i < 3; i++) s.Accept(s.Sample(logits, banned, even));
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) s.Accept(s.Sample(logits));
            for (int i = 0; i < 20; i++) s.Accept(s.Sample(logits, banned, even));
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
