using R1Sharp.Inference.Batching;

namespace R1Sharp.Inference.Tests.Batching;

/// <summary>The one sampler as the engine runs it: defaults, temperature, top-p, penalties and seeds, checked against
/// distributions and sequences computed independently here.</summary>
public class EngineSamplingTests
{
    private static readonly string[] Letters = ["a", "b", "c", "d", "e", "f", "g", "h"];

    /// <summary>A model whose next-token logits never change: the given values on the letters, -inf elsewhere.</summary>
    private static (BatchingEngine, int[] Ids, int[] Prompt) FixedLogits(double[] letterLogits)
    {
        var (engine, model) = Golden.Scripted();
        int[] ids = Letters.Take(letterLogits.Length).Select(Golden.Id).ToArray();
        model.Script = (_, logits) =>
        {
            Array.Fill(logits, float.NegativeInfinity);
            for (int i = 0; i < ids.Length; i++) logits[ids[i]] = (float)letterLogits[i];
        };
        return (engine, ids, Golden.Tokenizer.Encode("zz"));
    }

    private static int[] Counts(EngineRun run, int[] ids) =>
        ids.Select(id => run.Finished.Tokens!.Count(t => t == id)).ToArray();

    private static double ChiSquare(int[] counts, double[] probs, int n) =>
        counts.Select((c, i) => (c - n * probs[i]) * (c - n * probs[i]) / (n * probs[i])).Sum();

    private static EngineRun Raw(BatchingEngine engine, int[] prompt, GenerationParameters p) =>
        EngineRun.Of(engine, new GenerationRequest(prompt, p with { IgnoreEos = true }, SplitReasoning: false) { ReturnTokens = true });

    [Fact]
    public void DrawsFollowTheSoftmaxAtTheTemperature()
    {
        double[] logits = [1.2, -0.3, 0.7, 2.0, -1.5, 0.0, 1.9, -0.8];
        var (engine, ids, prompt) = FixedLogits(logits);
        using var _ = engine;
        const int n = 16_000;
        var run = Raw(engine, prompt, new GenerationParameters { Temperature = 0.7f, TopP = 1, Seed = 5, MaxTokens = n });
        Assert.Equal(n, run.Finished.CompletionTokens);
        var w = logits.Select(l => Math.Exp(l / 0.7)).ToArray();
        // 7 degrees of freedom: P(chi2 > 24.32) = 0.001; the seed is fixed, so this cannot flake.
        var counts = Counts(run, ids);
        Assert.True(ChiSquare(counts, w.Select(x => x / w.Sum()).ToArray(), n) < 24.32, string.Join(",", counts));
    }

    [Fact]
    public void UnsetFieldsGetR1sDefaultsTemperature06AndTopP095()
    {
        // Probabilities at temperature 1: the nucleus of 0.95 is the first five (0.40 + 0.25 + 0.15 + 0.10 + 0.06 =
        // 0.96); the draw is then from those five at temperature 0.6: p^(1/0.6), renormalized.
        double[] p = [0.40, 0.25, 0.15, 0.10, 0.06, 0.03, 0.007, 0.003];
        var (engine, ids, prompt) = FixedLogits(p.Select(x => Math.Log(x)).ToArray());
        using var _ = engine;
        const int n = 12_000;
        var run = Raw(engine, prompt, new GenerationParameters { Seed = 9, MaxTokens = n });
        var counts = Counts(run, ids);
        Assert.Equal(0, counts[5] + counts[6] + counts[7]);
        var w = p.Take(5).Select(x => Math.Pow(x, 1 / 0.6)).ToArray();
        Assert.True(ChiSquare(counts[..5], w.Select(x => x / w.Sum()).ToArray(), n) < 18.47, string.Join(",", counts)); // df 4, p = 0.001
    }

    [Fact]
    public void PenaltiesChangeTheGreedyPathAsComputedByHand()
    {
        double[] logits = [3, 2.5, 0];
        var (engine, ids, prompt) = FixedLogits(logits);
        using var _ = engine;
        const float repeat = 1.5f, frequency = 0.3f, presence = 0.4f;
        var run = Raw(engine, prompt, new GenerationParameters
        {
            Temperature = 0, RepetitionPenalty = repeat, FrequencyPenalty = frequency, PresencePenalty = presence, MaxTokens = 8,
        });
        // llama.cpp's repetition (divide positive logits, multiply negative ones), then OpenAI's count * frequency +
        // presence, over the tokens seen (the prompt "zz" has none of the letters).
        var seen = new int[logits.Length];
        var expected = new List<int>();
        for (int step = 0; step < 8; step++)
        {
            var l = logits.Select((x, i) => seen[i] == 0 ? x : (x > 0 ? x / repeat : x * repeat) - seen[i] * frequency - presence).ToArray();
            int best = Array.IndexOf(l, l.Max());
            seen[best]++;
            expected.Add(ids[best]);
        }
        Assert.Equal(expected, run.Finished.Tokens);
        Assert.Contains(ids[1], expected); // the penalties did change the path
    }

    [Fact]
    public async Task SameSeedSameTokensOnEverySlotAndBatchDifferentSeedDifferentTokens()
    {
        using var engine = BatchingEngine.Load(Golden.QwenPath, new BatchingOptions { Slots = 3, ContextSize = 256 });
        var prompt = engine.PrepareChat([new PromptMessage("user", "What is 12 * 25?")]);
        GenerationRequest Request(ulong seed) => new(prompt.Tokens, new GenerationParameters { Temperature = 0.8f, Seed = seed, MaxTokens = 24, IgnoreEos = true },
            StartsInReasoning: prompt.StartsInReasoning) { ReturnTokens = true };
        var alone = EngineRun.Of(engine, Request(42));
        // Three at once: batched in one forward step, each with its own sampler.
        var readers = new[] { 42UL, 43UL, 42UL }.Select(s => Task.Run(() => EngineRun.Of(engine, Request(s)))).ToArray();
        var together = await Task.WhenAll(readers);
        Assert.Equal(alone.Finished.Tokens, together[0].Finished.Tokens);
        Assert.Equal(alone.Finished.Tokens, together[2].Finished.Tokens);
        Assert.Equal((alone.Reasoning, alone.Answer), (together[2].Reasoning, together[2].Answer));
        Assert.NotEqual(alone.Finished.Tokens, together[1].Finished.Tokens);
    }
}
