using R1Sharp.Gguf;
using R1Sharp.Inference.Constraints;
using R1Sharp.Models;
using R1Sharp.TestSupport;
using R1Sharp.Tokenization;
using static R1Sharp.Inference.Tests.Constraints.ConstraintKit;

namespace R1Sharp.Inference.Tests.Constraints;

/// <summary>Valid output whatever the weights: generation under every schema, many seeds, from random logits on the
/// real R1 vocabulary and from random-weight golden models, sampled at temperature 1 and greedily. Every finished text
/// must parse and validate with JsonSchema.Net; bounded schemas must finish.</summary>
public class ConstrainedGenerationTests
{
    private static void CheckRun(string name, string schema, bool bounded, Generation.Result r)
    {
        if (bounded) Assert.True(r.Finished, $"{name}: a bounded schema did not finish in {r.Tokens} tokens: {r.Text}");
        if (!r.Finished) return;
        Assert.True(ValidJson(schema, r.Text, out string why), $"{name}: {r.Text} -> {why}");
    }

    /// <summary>Recursive schemas unroll to this depth in the generation tests (a bounded tree stays small).</summary>
    private static readonly JsonGrammarOptions s_options = new() { MaxNestingDepth = 6 };

    private static Grammar Compile(string json) => Grammar.FromJsonSchema(json, s_options);

    [Fact]
    public void RandomLogitsOnTheR1VocabularyAlwaysGiveValidJson()
    {
        var tok = Tokenizer(R1Vocab);
        var vocab = TokenVocabulary.For(tok);
        foreach (var (name, json, bounded) in Schemas.All)
        {
            var g = Compile(json);
            for (int seed = 0; seed < 4; seed++)
            {
                // Unbounded strings rarely close by chance among 150k tokens: those runs may stop at the limit.
                var r = Generation.Run(new GrammarConstraint(g, vocab), tok, null, greedy: seed == 3, seed, bounded ? 300 : 150);
                CheckRun(name, json, bounded, r);
            }
        }
    }

    [Fact]
    public void JsonObjectAlwaysParsesToAnObject()
    {
        foreach (string fixture in new[] { R1Vocab, TinyModel })
        {
            var tok = Tokenizer(fixture);
            var vocab = TokenVocabulary.For(tok);
            int finished = 0, runs = fixture == R1Vocab ? 6 : 24;
            for (int seed = 0; seed < runs; seed++)
            {
                var grammar = seed % 2 == 0 ? Grammar.JsonObject() : Grammar.JsonValue();
                var r = Generation.Run(new GrammarConstraint(grammar, vocab), tok, null, greedy: false, seed, fixture == R1Vocab ? 200 : 1500);
                if (!r.Finished) continue;
                finished++;
                Assert.True(ValidJson("true", r.Text, out string why), $"{r.Text}: {why}");
                if (seed % 2 == 0) Assert.Equal(System.Text.Json.JsonValueKind.Object, System.Text.Json.JsonDocument.Parse(r.Text).RootElement.ValueKind);
            }
            // On the tiny vocabulary a closing quote or bracket is drawn often enough for unbounded JSON to end.
            if (fixture == TinyModel) Assert.True(finished >= runs * 3 / 4, $"only {finished} of {runs} runs ended");
        }
    }

    [Fact]
    public void RandomLogitsOnTheTinyVocabularyEndEvenUnboundedSchemas()
    {
        var tok = Tokenizer(TinyModel);
        var vocab = TokenVocabulary.For(tok);
        foreach (var (name, json, bounded) in Schemas.All)
        {
            var g = Compile(json);
            int finished = 0;
            for (int seed = 0; seed < 12; seed++)
            {
                var r = Generation.Run(new GrammarConstraint(g, vocab), tok, null, greedy: seed % 6 == 5, seed, 3000);
                CheckRun(name, json, bounded, r);
                if (r.Finished) finished++;
            }
            Assert.True(finished >= 10, $"{name}: only {finished} of 12 runs ended");
        }
    }

    [Theory]
    [InlineData("tiny-qwen2-s1-f32.gguf")]
    [InlineData("tiny-llama-s1-q4_k_m.gguf")]
    [InlineData("tiny-deepseek2-s1-q8_0.gguf")]
    public void RandomWeightModelsAlwaysGiveValidJson(string model)
    {
        using var file = GgufFile.Open(Fixtures.Path("golden", "models", model));
        var tok = Tokenization.Tokenizer.FromGguf(file);
        using var lm = ModelLoader.Load(file);
        var vocab = TokenVocabulary.For(tok);
        int[] prompt = tok.Encode("Reply with JSON: ");
        foreach (var (name, json, bounded) in Schemas.All)
        {
            var g = Compile(json);
            for (int seed = 0; seed < 2; seed++)
            {
                bool greedy = seed == 0;
                using var seq = lm.CreateSequence(2048);
                var logits = new float[lm.Config.VocabSize];
                Func<int, float[]> next = last =>
                {
                    ReadOnlyMemory<int> input = last < 0 ? prompt : new[] { last };
                    lm.Forward([new ForwardItem(seq, input, logits)]);
                    return (float[])logits.Clone();
                };
                var r = Generation.Run(new GrammarConstraint(g, vocab), tok, next, greedy, seed, bounded ? 2048 - prompt.Length - 1 : 400);
                // greedy decoding of a random model may loop inside an unbounded string: only bounded schemas must end
                CheckRun($"{model} {name} seed {seed}", json, bounded, r);
            }
        }
    }
}
