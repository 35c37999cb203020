using R1Sharp.Inference.Batching;
using R1Sharp.Inference.Reasoning;
using R1Sharp.TestSupport;
using R1Sharp.Tokenization;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Inference.Tests.Batching;

/// <summary>The reasoning splitter, the think-tag bans and the thinking budget, through the batching engine, with a
/// scripted model that wants to write given tokens: where the engine bans the wanted token, greedy sampling takes the
/// fallback 'a', so every expected text below follows by hand from the script.</summary>
public class ThinkControlTests
{
    private static readonly int A = Golden.Id("a");

    private static GenerationParameters Greedy(int? budget = null, int? maxTokens = null) =>
        new() { Temperature = 0, ThinkingBudget = budget, MaxTokens = maxTokens };

    private static EngineRun Chat(BatchingEngine engine, ScriptedModel model, int[] wanted, GenerationParameters p, bool returnTokens = false)
    {
        var prompt = engine.PrepareChat([new PromptMessage("user", "hi")]);
        model.Script = ScriptedModel.Writer(prompt.Tokens.Length, wanted, A);
        var run = EngineRun.Of(engine, new GenerationRequest(prompt.Tokens, p, StartsInReasoning: prompt.StartsInReasoning) { ReturnTokens = returnTokens });
        run.AssertWellFormed();
        return run;
    }

    [Fact]
    public void TagsTheModelRepeatsAreBannedInTheThoughtAndTheAnswer()
    {
        var (engine, model) = Golden.Scripted();
        using var _ = engine;
        int x = Golden.Id("x"), y = Golden.Id("y"), z = Golden.Id("z"), w = Golden.Id("w"), v = Golden.Id("v");
        // The template opens the thought: <think> is banned in it (-> a), </think> closes it, then both are banned.
        var run = Chat(engine, model, [x, Golden.Open, y, Golden.Close, z, Golden.Open, w, Golden.Close, v, Golden.Eos], Greedy(), returnTokens: true);
        Assert.Equal("xay", run.Reasoning);
        Assert.Equal("zawav", run.Answer);
        Assert.Equal(4, run.Finished.ReasoningTokens); // x a y </think>
        Assert.Equal("stop", run.Finished.FinishReason);
        Assert.Equal([x, A, y, Golden.Close, z, A, w, A, v, Golden.Eos], run.Finished.Tokens);
        Assert.Equal(run.Finished.CompletionTokens, run.Finished.Tokens!.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(8)]
    public void TheBudgetIsAHardCapWhateverTheModelWants(int budget)
    {
        var (engine, model) = Golden.Scripted();
        using var _ = engine;
        // A model that only ever wants <think>: banned everywhere here, so it writes 'a' until the budget closes the
        // thought, then answers 'a's.
        var wanted = Enumerable.Repeat(Golden.Open, 40).ToArray();
        var run = Chat(engine, model, wanted, Greedy(budget, maxTokens: 20), returnTokens: true);
        var close = Golden.Tokenizer.Encode(ThinkTags.CloseText, parseSpecial: true);
        Assert.Equal(budget, run.Finished.ReasoningTokens);
        Assert.Equal(new string('a', budget), run.Reasoning);
        Assert.Equal(new string('a', 20 - budget - close.Length), run.Answer);
        Assert.Equal(close, run.Finished.Tokens!.Skip(budget).Take(close.Length));
        Assert.Equal("length", run.Finished.FinishReason);
    }

    [Fact]
    public void AModelThatClosesEarlyIsLeftAlone()
    {
        var (engine, model) = Golden.Scripted();
        using var _ = engine;
        int b = Golden.Id("b");
        var run = Chat(engine, model, [b, Golden.Close, b, Golden.Eos], Greedy(budget: 5));
        Assert.Equal(("b", "b"), (run.Reasoning, run.Answer));
        Assert.Equal(2, run.Finished.ReasoningTokens);
        Assert.Equal(4, run.Finished.CompletionTokens);
    }

    private static readonly ChatTemplate NoPrefill = new("{% for m in messages %}<｜User｜>{{ m['content'] }}{% endfor %}<｜Assistant｜>");

    [Fact]
    public void APromptWithoutAThoughtLetsTheModelOpenOneFirst()
    {
        var (engine, model) = Golden.Scripted(NoPrefill);
        using var _ = engine;
        int nl = Golden.Id("\n"), p = Golden.Id("p"), q = Golden.Id("q");
        // </think> cannot come before a thought is open (-> a, which starts the answer).
        var run = Chat(engine, model, [nl, Golden.Open, p, Golden.Close, q, Golden.Open, Golden.Eos], Greedy());
        Assert.Equal(("p", "qa"), (run.Reasoning, run.Answer));
        Assert.Equal(2, run.Finished.ReasoningTokens); // p </think>; the opening tag and the newline before it are not reasoning

        var closeFirst = Chat(engine, model, [Golden.Close, q, Golden.Eos], Greedy());
        Assert.Equal(("", "aq"), (closeFirst.Reasoning, closeFirst.Answer));

        // Budget 0: the model may not open a thought at all.
        var none = Chat(engine, model, [Golden.Open, p, Golden.Close, q, Golden.Eos], Greedy(budget: 0));
        Assert.Equal(("", "apaq"), (none.Reasoning, none.Answer));
        Assert.Equal(0, none.Finished.ReasoningTokens);
    }

    [Fact]
    public void TagsThatAreNotSingleTokensNeverReachEitherChannel()
    {
        // GPT-2's vocabulary has no think tokens: the tags are several tokens each, nothing can be banned by id, and the
        // splitter alone keeps them out of both channels.
        var gpt2 = Tokenizer.FromGguf(Fixtures.Path("vocab", "ggml-vocab-gpt-2.gguf"));
        Assert.Null(gpt2.FindToken("<think>"));
        var (engine, model) = Golden.Scripted(NoPrefill, tokenizer: gpt2);
        using var _ = engine;
        int[] prompt = gpt2.Encode("Question: hi. Answer:");
        int fallback = gpt2.Encode(" ok")[0];
        GenerationRequest Request(GenerationParameters p) => new(prompt, p, SplitReasoning: true, StartsInReasoning: false) { ReturnTokens = true };

        int[] text = gpt2.Encode("<think>abc</think>xyz<think>q</think>r");
        model.Script = ScriptedModel.Writer(prompt.Length, [.. text, gpt2.EndOfGenerationIds.Min()], fallback);
        var run = EngineRun.Of(engine, Request(new GenerationParameters { Temperature = 0 }));
        run.AssertWellFormed();
        Assert.Equal(("abc", "xyzqr"), (run.Reasoning, run.Answer));

        // Budget 2: the forced close is several tokens too; the thought holds exactly the 2 tokens after <think>.
        int[] open = gpt2.Encode("<think>"), thought = gpt2.Encode(" one two three four five six");
        model.Script = ScriptedModel.Writer(prompt.Length, [.. open, .. thought, .. thought], fallback);
        var capped = EngineRun.Of(engine, Request(new GenerationParameters { Temperature = 0, ThinkingBudget = 2, MaxTokens = 30 }));
        capped.AssertWellFormed();
        Assert.Equal(2, capped.Finished.ReasoningTokens);
        Assert.Equal(gpt2.Decode(thought[..2]).Trim(), capped.Reasoning);
        Assert.NotEmpty(capped.Answer);
        var close = gpt2.Encode(ThinkTags.CloseText);
        Assert.Equal(close, capped.Finished.Tokens!.Skip(open.Length + 2).Take(close.Length));
    }

    [Fact]
    public void LogProbsNeverGoBackToTheReasoningChannel()
    {
        var (engine, model) = Golden.Scripted();
        using var _ = engine;
        int x = Golden.Id("x");
        var prompt = engine.PrepareChat([new PromptMessage("user", "hi")]);
        model.Script = ScriptedModel.Writer(prompt.Tokens.Length, [x, Golden.Close, Golden.Id("\n"), x, Golden.Eos], A);
        var run = EngineRun.Of(engine, new GenerationRequest(prompt.Tokens, new GenerationParameters { Temperature = 0, LogProbs = true, TopLogProbs = 2 },
            StartsInReasoning: true));
        run.AssertWellFormed();
        // Every generated token's log-probability is reported exactly once, in order.
        var tokens = run.Texts.SelectMany(t => t.LogProbs ?? []).Select(l => l.Token).ToArray();
        Assert.Equal([x, Golden.Close, Golden.Id("\n"), x, Golden.Eos], tokens);
        Assert.All(run.Texts.SelectMany(t => t.LogProbs ?? []), l => Assert.Equal(2, l.Top.Count));
    }
}
