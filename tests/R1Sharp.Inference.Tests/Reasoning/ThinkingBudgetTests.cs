using R1Sharp.Inference.Reasoning;

namespace R1Sharp.Inference.Tests.Reasoning;

public class ThinkingBudgetTests
{
    private const int Think = 100, EndThink = 101, NewLines = 102;

    [Fact]
    public void ForcesTheEndOfTheThoughtWhenTheBudgetIsSpent()
    {
        var b = new ThinkingBudget(3, EndThink, [NewLines]);
        Assert.True(b.Observe(1).IsEmpty);
        Assert.True(b.Observe(2).IsEmpty);
        Assert.Equal([EndThink, NewLines], b.Observe(3).ToArray());
        Assert.True(b.Done);
        Assert.Equal(3, b.ReasoningTokens);
        Assert.True(b.Observe(4).IsEmpty); // answer tokens are not counted and nothing is forced again
        Assert.Equal(3, b.ReasoningTokens);
    }

    [Fact]
    public void AModelThatClosesItsThoughtIsLeftAlone()
    {
        var b = new ThinkingBudget(3, EndThink, [NewLines]);
        Assert.True(b.Observe(1).IsEmpty);
        Assert.True(b.Observe(EndThink).IsEmpty);
        Assert.True(b.Done);
        Assert.True(b.Observe(2).IsEmpty);
        Assert.True(b.Observe(3).IsEmpty);
        Assert.Equal(1, b.ReasoningTokens);
    }

    [Fact]
    public void CountingStartsAtThinkWhenThePromptDidNotOpenIt()
    {
        var b = new ThinkingBudget(2, EndThink, [NewLines], startsInReasoning: false, startThinkToken: Think);
        Assert.True(b.Observe(5).IsEmpty);
        Assert.False(b.InReasoning);
        Assert.True(b.Observe(Think).IsEmpty);
        Assert.True(b.Observe(6).IsEmpty);
        Assert.Equal([EndThink, NewLines], b.Observe(7).ToArray());
    }

    [Fact]
    public void UnlimitedNeverForces()
    {
        var b = new ThinkingBudget(null, EndThink, [NewLines]);
        for (int i = 0; i < 10_000; i++) Assert.True(b.Observe(i % 50).IsEmpty);
        Assert.Equal(10_000, b.ReasoningTokens);
    }

    [Fact]
    public void ZeroBudgetClosesTheThoughtInThePrompt()
    {
        Assert.Equal("<｜User｜>hi<｜Assistant｜><think>\n\n</think>\n\n", ThinkingBudget.ApplyToPrompt("<｜User｜>hi<｜Assistant｜><think>\n", 0));
        Assert.Equal("<｜User｜>hi<｜Assistant｜><think>\n\n</think>\n\n", ThinkingBudget.ApplyToPrompt("<｜User｜>hi<｜Assistant｜>", 0));
        Assert.Equal("p<think>\n", ThinkingBudget.ApplyToPrompt("p<think>\n", 5));
        Assert.Equal("p<think>\n", ThinkingBudget.ApplyToPrompt("p<think>\n", null));
        Assert.True(new ThinkingBudget(0, EndThink, [NewLines]).Done);
        Assert.True(ThinkingBudget.PromptOpensThinking("x<｜Assistant｜><think>\n"));
        Assert.False(ThinkingBudget.PromptOpensThinking(ThinkingBudget.ApplyToPrompt("x<｜Assistant｜><think>\n", 0)));
    }

    [Theory]
    [InlineData("low", 1024)]
    [InlineData("medium", 4096)]
    [InlineData("HIGH", null)]
    [InlineData(null, null)]
    [InlineData("none", 0)]
    public void ReasoningEffortMapsToBudgets(string? effort, int? budget) => Assert.Equal(budget, ThinkingBudget.FromReasoningEffort(effort));

    [Fact]
    public void UnknownEffortIsRejected() => Assert.Throws<ArgumentException>(() => ThinkingBudget.FromReasoningEffort("extreme"));
}

public class ThinkingBudgetVocabularyTests
{
    [Fact]
    public void R1VocabularyForcesThinkEndThenABlankLine()
    {
        var tok = R1Sharp.Tokenization.Tokenizer.FromGguf(R1Sharp.TestSupport.Fixtures.Path("vocab", "ggml-vocab-deepseek-r1-qwen.gguf"));
        var b = ThinkingBudget.ForTokenizer(tok, 1, startsInReasoning: true);
        var forced = b.Observe(tok.Encode("Okay")[0]).ToArray();
        Assert.Equal("</think>\n\n", tok.Decode(forced));
        Assert.Equal(tok.FindToken("</think>"), forced[0]);
    }
}
