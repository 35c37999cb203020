using R1Sharp.Evaluation;

namespace R1Sharp.Evaluation.Tests;

public class PassAtKTests
{
    // Hand computations of 1 - C(n-c, k) / C(n, k).
    [Theory]
    [InlineData(4, 1, 1, 0.25)]                 // = c/n
    [InlineData(4, 2, 2, 5.0 / 6)]              // 1 - C(2,2)/C(4,2) = 1 - 1/6
    [InlineData(10, 3, 5, 11.0 / 12)]           // 1 - C(7,5)/C(10,5) = 1 - 21/252
    [InlineData(5, 0, 3, 0.0)]
    [InlineData(5, 3, 3, 1.0)]                  // n - c = 2 < k: some draw of 3 always contains a correct one
    [InlineData(8, 8, 1, 1.0)]
    [InlineData(6, 1, 2, 1.0 / 3)]              // 1 - C(5,2)/C(6,2) = 1 - 10/15
    public void UnbiasedEstimatorMatchesCombinatorics(int n, int c, int k, double expected) =>
        Assert.Equal(expected, PassAtK.Estimate(n, c, k), 12);

    [Fact]
    public void EstimatorRejectsImpossibleCounts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(4, 5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(4, 1, 5));
    }

    [Fact]
    public void Pass1IsTheMeanOfTheSamples() =>
        Assert.Equal(0.75, PassAtK.Pass1([true, false, true, true]));

    [Fact]
    public void MajorityVote()
    {
        Assert.Equal("8", PassAtK.MajorityVote(["7", null, "8", "8"]));
        Assert.Equal("12", PassAtK.MajorityVote(["12", "13", "12.0", null, "13"]));   // 2-2 tie: first seen wins
        Assert.Equal("1,000", PassAtK.MajorityVote(["1,000", "999", "1000"]));        // 1,000 and 1000 are one answer
        Assert.Null(PassAtK.MajorityVote([null, " "]));
    }
}
