using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Numerics.Tests.Kernels;

/// <summary>The attention plan covers every (token, group) pair's positions 0..pos exactly once, in contiguous ranges
/// laid out where <see cref="AttentionPlan.First"/> and <see cref="AttentionPlan.Ranges"/> say, and splits a long
/// single-token decode across the threads.</summary>
public class AttentionPlanTests
{
    [Theory]
    [InlineData(new[] { 4096 }, 2, 2)]          // one decoding token at long context
    [InlineData(new[] { 0, 1, 2, 3, 4, 5 }, 2, 2)] // a short prefill
    [InlineData(new[] { 10, 5000, 300, 70000 }, 1, 4)] // mixed slots, MLA's single group
    public void ItemsCoverEveryPositionOnce(int[] positions, int groups, int threads)
    {
        var plan = new AttentionPlan();
        plan.Plan(positions, positions.Length, groups, threads, work: 1L << 30);
        for (int t = 0; t < positions.Length; t++)
            for (int g = 0; g < groups; g++)
            {
                int next = 0;
                for (int k = 0; k < plan.Ranges(t); k++)
                {
                    int i = plan.First(t) + g * plan.Ranges(t) + k;
                    Assert.Equal(t, plan.Row(i));
                    Assert.Equal(g, plan.Group(i));
                    Assert.Equal(next, plan.Start(i));
                    Assert.True(plan.End(i) > plan.Start(i));
                    next = plan.End(i);
                }
                Assert.Equal(positions[t] + 1, next);
            }
        int total = 0;
        for (int t = 0; t < positions.Length; t++) total += plan.Ranges(t) * groups;
        Assert.Equal(total, plan.Items);
        Assert.InRange(plan.Tasks, 1, 4 * threads);
        if (positions.Length == 1 && positions[0] >= 4096) Assert.True(plan.Items >= 2 * threads, $"{plan.Items} items");
    }

    [Fact]
    public void SmallStepsRunAsOneTask()
    {
        var plan = new AttentionPlan();
        plan.Plan([3], 1, 2, 8, work: 1000);
        Assert.Equal(1, plan.Tasks);
        Assert.Equal(2, plan.Items);
    }
}
