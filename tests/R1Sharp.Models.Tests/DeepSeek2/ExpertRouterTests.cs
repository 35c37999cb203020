using R1Sharp.Models.DeepSeek2;

namespace R1Sharp.Models.Tests.DeepSeek2;

public sealed class ExpertRouterTests
{
    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    [Fact]
    public void BiasChoosesExpertsButWeightsComeFromUnbiasedScores()
    {
        // expert 3 has the best score, expert 1 the second; a bias lifts expert 0 above expert 1 for selection only
        float[] logits = [0.1f, 1.0f, -2f, 2.0f];
        float[] bias = [1.5f, 0f, 0f, 0f];
        var router = new ExpertRouter(4, 2, gatingFunction: 2, normalize: false, scale: 1f);
        Span<int> ids = stackalloc int[2];
        Span<float> w = stackalloc float[2];
        router.Route(logits, bias, ids, w);
        Assert.Equal([0, 3], ids.ToArray());      // biased: 0.525 + 1.5 beats 0.881; expert 1 (0.731) is out
        Assert.Equal(Sigmoid(0.1f), w[0], 6);     // not sigmoid(0.1) + 1.5
        Assert.Equal(Sigmoid(2.0f), w[1], 6);
    }

    [Fact]
    public void NormalizationThenScale()
    {
        float[] logits = [0.5f, -1f, 1.5f];
        var router = new ExpertRouter(3, 2, gatingFunction: 2, normalize: true, scale: 2.5f);
        Span<int> ids = stackalloc int[2];
        Span<float> w = stackalloc float[2];
        router.Route(logits, [], ids, w);
        float a = Sigmoid(1.5f), b = Sigmoid(0.5f);
        Assert.Equal([2, 0], ids.ToArray());
        Assert.Equal(2.5f * a / (a + b), w[0], 5);
        Assert.Equal(2.5f * b / (a + b), w[1], 5);
        Assert.Equal(2.5f, w[0] + w[1], 5);
    }

    [Fact]
    public void SoftmaxGatingForDeepSeekV2()
    {
        float[] logits = [1f, 2f, 3f];
        var router = new ExpertRouter(3, 1, gatingFunction: 1, normalize: false, scale: 1f);
        Span<int> ids = stackalloc int[1];
        Span<float> w = stackalloc float[1];
        router.Route(logits, [], ids, w);
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Assert.Equal(2, ids[0]);
        Assert.Equal(Math.Exp(3) / z, w[0], 5);
    }

    [Fact]
    public void GroupLimitedRoutingKeepsOnlyTheBestGroups()
    {
        // 8 experts in 4 groups of 2; group score = sum of its two scores. Expert 7 alone is the best expert, but its group
        // (6,7) sums low; with 2 groups used, the winners are the groups {0,1} and {2,3}.
        float[] logits = [2f, 2f, 1.5f, 1.5f, -3f, -3f, -6f, 3f];
        var router = new ExpertRouter(8, 2, gatingFunction: 2, normalize: false, scale: 1f, groups: 4, groupsUsed: 2);
        Span<int> ids = stackalloc int[2];
        Span<float> w = stackalloc float[2];
        router.Route(logits, [], ids, w);
        Assert.DoesNotContain(7, ids.ToArray());
        Assert.Equal([0, 1], ids.ToArray());

        // without groups, expert 7 wins
        var plain = new ExpertRouter(8, 2, gatingFunction: 2, normalize: false, scale: 1f);
        plain.Route(logits, [], ids, w);
        Assert.Equal(7, ids[0]);
    }
}
