using R1Sharp.Inference.Batching;
using R1Sharp.Inference.Sampling;
using R1Sharp.Tokenization;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Inference.Tests.Batching;

/// <summary>An <see cref="ITokenConstraint"/> through the engine: it shapes the answer only (never the thought, never
/// forced tokens), end-of-generation waits for <c>CanEnd</c>, and <c>MustEnd</c> ends the request.</summary>
public class ConstraintTests
{
    /// <summary>Only ASCII digits, at least one; complete (must end) at four or more.</summary>
    private sealed class DigitsThenEnd(Tokenizer tokenizer) : ITokenConstraint
    {
        public int Digits { get; private set; }
        public List<int> Accepted { get; } = [];

        private bool IsDigits(int token)
        {
            var bytes = tokenizer.TokenBytes(token);
            if (bytes.Length == 0) return false;
            foreach (byte b in bytes) if (b is < (byte)'0' or > (byte)'9') return false;
            return true;
        }

        public void Mask(Span<float> logits)
        {
            for (int t = 0; t < logits.Length; t++)
                if (!tokenizer.EndOfGenerationIds.Contains(t) && !IsDigits(t)) logits[t] = float.NegativeInfinity;
        }

        public bool Allows(int token) => IsDigits(token);

        public void Accept(int token)
        {
            if (!IsDigits(token)) throw new InvalidOperationException($"token {token} is not digits");
            Accepted.Add(token);
            Digits += tokenizer.TokenBytes(token).Length;
        }

        public bool CanEnd => Digits > 0;
        public bool MustEnd => Digits >= 4;
    }

    private static bool AllDigits(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    [Fact]
    public void ARandomModelAnswersDigitsAfterAFreeThought()
    {
        using var engine = BatchingEngine.Load(Golden.QwenPath, new BatchingOptions { Slots = 2, ContextSize = 256 });
        var prompt = engine.PrepareChat([new PromptMessage("user", "What is 12 * 25? Think step by step.")]);
        Assert.True(prompt.StartsInReasoning);
        for (ulong seed = 1; seed <= 6; seed++)
        {
            var made = new List<DigitsThenEnd>();
            var p = new GenerationParameters
            {
                // ignore_eos: the random model may not stop inside its thought, so every answer runs to MustEnd.
                Temperature = 0.8f, Seed = seed, ThinkingBudget = 3, MaxTokens = 40, IgnoreEos = true,
                Constraint = () => { var c = new DigitsThenEnd(engine.Tokenizer); made.Add(c); return c; },
            };
            var run = EngineRun.Of(engine, new GenerationRequest(prompt.Tokens, p, StartsInReasoning: true));
            run.AssertWellFormed();
            var constraint = Assert.Single(made);
            Assert.True(AllDigits(run.Answer), $"seed {seed}: answer '{run.Answer}'");
            Assert.Equal(run.Answer, string.Concat(constraint.Accepted.Select(t => engine.Detokenize([t]))));
            Assert.True(run.Finished.ReasoningTokens <= 3);
            Assert.Equal("stop", run.Finished.FinishReason);
        }
    }

    [Fact]
    public void WithoutAThoughtTheConstraintAppliesFromTheFirstToken()
    {
        using var engine = BatchingEngine.Load(Golden.QwenPath, new BatchingOptions { Slots = 1, ContextSize = 256 });
        int[] prompt = engine.PrepareCompletion("The number is").Tokens;
        for (ulong seed = 1; seed <= 4; seed++)
        {
            var p = new GenerationParameters { Temperature = 1, Seed = seed, MaxTokens = 40, Constraint = () => new DigitsThenEnd(engine.Tokenizer) };
            var raw = EngineRun.Of(engine, new GenerationRequest(prompt, p, SplitReasoning: false));
            Assert.True(AllDigits(raw.Answer), raw.Answer);
            // A chat prompt that does not open a thought: the answer starts at once, constrained.
            var chat = EngineRun.Of(engine, new GenerationRequest(prompt, p, SplitReasoning: true, StartsInReasoning: false));
            chat.AssertWellFormed();
            Assert.Equal("", chat.Reasoning);
            Assert.True(AllDigits(chat.Answer), chat.Answer);
        }
    }

    private static readonly ChatTemplate NoPrefill = new("{% for m in messages %}<｜User｜>{{ m['content'] }}{% endfor %}<｜Assistant｜>");

    [Fact]
    public void EndWaitsForCanEndAndMustEndStops()
    {
        var (engine, model) = Golden.Scripted(NoPrefill);
        using var _ = engine;
        var prompt = engine.PrepareChat([new PromptMessage("user", "n?")]);
        Assert.False(prompt.StartsInReasoning);
        var p = new GenerationParameters { Temperature = 0, Constraint = () => new DigitsThenEnd(Golden.Tokenizer) };
        int a = Golden.Id("a");

        // The model wants to stop at once: end-of-generation is banned until a digit came; 'a' is masked, so greedy
        // takes the best digit (all at logit 0: the lowest id), then the model may stop.
        model.Script = ScriptedModel.Writer(prompt.Tokens.Length, [Golden.Eos, Golden.Eos], a);
        var run = EngineRun.Of(engine, new GenerationRequest(prompt.Tokens, p));
        int lowestDigit = Enumerable.Range(0, 10).Select(d => Golden.Id(d.ToString())).Min();
        Assert.Equal(Golden.Tokenizer.Decode([lowestDigit]), run.Answer);
        Assert.Equal(("stop", 2), (run.Finished.FinishReason, run.Finished.CompletionTokens));

        // The model wants to go on: the request ends as soon as the constraint is complete.
        int[] digits = "123456".Select(c => Golden.Id(c.ToString())).ToArray();
        model.Script = ScriptedModel.Writer(prompt.Tokens.Length, digits, a);
        var stopped = EngineRun.Of(engine, new GenerationRequest(prompt.Tokens, p));
        Assert.Equal(("1234", "stop"), (stopped.Answer, stopped.Finished.FinishReason));
    }

    [Fact]
    public void ForcedTokensAndTheThoughtAreNotConstrained()
    {
        var (engine, model) = Golden.Scripted();
        using var _ = engine;
        var prompt = engine.PrepareChat([new PromptMessage("user", "n?")]);
        int x = Golden.Id("x"), seven = Golden.Id("7");
        // Thought "xx" (budget 2), then the forced "\n</think>\n\n" (not digits: the constraint would throw on it),
        // then the model wants 'x' (masked: the best digit is the lowest id) and '7'.
        var lowestDigit = Enumerable.Range(0, 10).Select(d => Golden.Id(d.ToString())).Min();
        int close = Golden.Tokenizer.Encode(R1Sharp.Inference.Reasoning.ThinkTags.CloseText, parseSpecial: true).Length;
        model.Script = ScriptedModel.Writer(prompt.Tokens.Length, [x, x, .. Enumerable.Repeat(x, close), x, seven, seven, seven, Golden.Eos], Golden.Id("a"));
        var p = new GenerationParameters { Temperature = 0, ThinkingBudget = 2, Constraint = () => new DigitsThenEnd(Golden.Tokenizer) };
        var run = EngineRun.Of(engine, new GenerationRequest(prompt.Tokens, p, StartsInReasoning: true));
        run.AssertWellFormed();
        Assert.Equal("xx", run.Reasoning);
        Assert.Equal(Golden.Tokenizer.Decode([lowestDigit]) + "777", run.Answer);
        Assert.Equal(2, run.Finished.ReasoningTokens);
    }
}
