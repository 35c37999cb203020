using R1Sharp.Evaluation;

namespace R1Sharp.Evaluation.Tests;

public class AnswerExtractionTests
{
    [Theory]
    [InlineData("<think>\n1 + 2 = 3\n</think>\n\nThe answer is 40.", "40")]
    [InlineData("<think>\nThe answer is 5\n</think>\n\nThe answer is 7.", "7")]             // reasoning is ignored
    [InlineData("The answer is -4,332.", "-4332")]
    [InlineData("The answer is $1,250.50 in total", "1250.50")]
    [InlineData("the answer is: 12", "12")]
    [InlineData("So x = 3 and the answer is \\boxed{\\frac{1}{2}}.", "\\frac{1}{2}")]
    [InlineData("First \\boxed{3}, then corrected: \\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "\\left( 3, \\frac{\\pi}{2} \\right)")]
    [InlineData("I think it is 12, no wait, 15 apples.", "15")]                           // fallback: last number
    [InlineData("No idea.", null)]
    [InlineData("The answer is \\boxed{5", "5")]                                        // unbalanced box: the number after the phrase
    public void ExtractsTheFinalAnswer(string completion, string? expected) =>
        Assert.Equal(expected, AnswerExtractor.Extract(completion));

    [Fact]
    public void AnswerPhraseNeedsTheNumberRightAfterIt()
    {
        Assert.Null(AnswerExtractor.AfterAnswerPhrase("The answer is unknown, but 12 is close"));
        Assert.Equal("3", AnswerExtractor.AfterAnswerPhrase("The answer is 3. Also the answer is not known."));
    }

    [Fact]
    public void BoxedWithoutBraces() => Assert.Equal("5", AnswerExtractor.LastBoxed("so $\\boxed 5$"));

    [Theory]
    [InlineData("She makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18", "18")]
    [InlineData("total 70,000\n#### 70,000", "70000")]
    [InlineData("no marker", null)]
    public void Gsm8kGold(string answer, string? expected) => Assert.Equal(expected, AnswerExtractor.Gsm8kGold(answer));

    [Fact]
    public void AnswerSectionIsAfterTheLastThinkClose()
    {
        Assert.Equal("\n\nB", AnswerExtractor.AnswerSection("<think>a</think>\n\nB"));
        Assert.Equal("no tags 3", AnswerExtractor.AnswerSection("no tags 3"));
    }
}
