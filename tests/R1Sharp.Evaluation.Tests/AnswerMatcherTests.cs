using R1Sharp.Evaluation;

namespace R1Sharp.Evaluation.Tests;

public class AnswerMatcherTests
{
    [Theory]
    [InlineData("1,000", "1000")]
    [InlineData("1000.0", "1000")]
    [InlineData("$18", "18")]
    [InlineData("18.", "18")]
    [InlineData("-4332", "-4332")]
    [InlineData("\\dfrac{1}{2}", "0.5")]
    [InlineData("\\frac12", "1/2")]
    [InlineData("\\frac{14}{3}", "14/3")]
    [InlineData("-\\frac{1}{4}", "-0.25")]
    [InlineData("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})")]
    [InlineData("x = 5", "5")]
    [InlineData("10^\\circ", "10")]
    [InlineData("\\text{Evelyn}", "Evelyn")]
    [InlineData("50\\%", "50")]
    [InlineData("{7}", "7")]
    public void EquivalentAnswersMatch(string predicted, string gold)
    {
        Assert.True(AnswerMatcher.IsMatch(predicted, gold), $"'{predicted}' should match '{gold}'");
        Assert.True(AnswerMatcher.IsMatch(gold, predicted), $"'{gold}' should match '{predicted}'");
    }

    [Theory]
    [InlineData("18", "19")]
    [InlineData("1,2", "12")]                  // not a thousands separator
    [InlineData("(1,2)", "(2,1)")]
    [InlineData("0.3333", "1/3")]              // exact match, no rounding tolerance
    [InlineData("p+q", "p - q")]
    [InlineData("", "0")]
    [InlineData(null, "5")]
    [InlineData("5", null)]
    public void DifferentAnswersDoNotMatch(string? predicted, string? gold) =>
        Assert.False(AnswerMatcher.IsMatch(predicted, gold));

    [Fact]
    public void VoteKeysGroupEqualNumbers()
    {
        Assert.Equal(AnswerMatcher.VoteKey("1,000"), AnswerMatcher.VoteKey("1000.00"));
        Assert.Equal(AnswerMatcher.VoteKey("\\frac{1}{2}"), AnswerMatcher.VoteKey("0.5"));
        Assert.NotEqual(AnswerMatcher.VoteKey("12"), AnswerMatcher.VoteKey("13"));
    }
}
