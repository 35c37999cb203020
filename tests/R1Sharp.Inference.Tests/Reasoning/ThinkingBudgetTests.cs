using R1Sharp.Inference.Reasoning;
using R1Sharp.TestSupport;
using R1Sharp.Tokenization;

namespace R1Sharp.Inference.Tests.Reasoning;

/// <summary>The parts of the thinking rule that are plain data: the effort mapping and R1's tag tokens. The budget
/// itself is tested through the engine (Batching/ThinkControlTests).</summary>
public class ThinkingBudgetTests
{
    [Theory]
    [InlineData("none", 0)]
    [InlineData("minimal", 0)]
    [InlineData("low", 1024)]
    [InlineData("medium", 4096)]
    [InlineData("HIGH", null)]
    [InlineData(null, null)]
    public void ReasoningEffortMapsToBudgets(string? effort, int? budget) => Assert.Equal(budget, ThinkingBudget.FromReasoningEffort(effort));

    [Fact]
    public void UnknownEffortAndNegativeBudgetsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => ThinkingBudget.FromReasoningEffort("extreme"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ThinkingBudget(-1));
    }

    [Fact]
    public void R1VocabularyHasSingleTokenTagsAndClosesWithThem()
    {
        var tok = Tokenizer.FromGguf(Fixtures.Path("vocab", "ggml-vocab-deepseek-r1-qwen.gguf"));
        var tags = ThinkTags.For(tok);
        Assert.Equal([tags.OpenId!.Value], tok.Encode("<think>", parseSpecial: true));
        Assert.Equal([tags.CloseId!.Value], tok.Encode("</think>", parseSpecial: true));
        Assert.Equal("\n</think>\n\n", tok.Decode(tags.CloseTokens));
        Assert.Contains(tags.CloseId.Value, tags.CloseTokens);
        Assert.Equal([tags.OpenId.Value], tags.Banned(ReasoningPhase.Thought, thoughtAllowed: true).ToArray());
        Assert.Equal([tags.CloseId.Value], tags.Banned(ReasoningPhase.Undecided, thoughtAllowed: true).ToArray());
        Assert.Equal([tags.OpenId.Value, tags.CloseId.Value], tags.Banned(ReasoningPhase.Answer, thoughtAllowed: true).ToArray());
        Assert.Equal([tags.OpenId.Value, tags.CloseId.Value], tags.Banned(ReasoningPhase.Undecided, thoughtAllowed: false).ToArray());
    }
}
