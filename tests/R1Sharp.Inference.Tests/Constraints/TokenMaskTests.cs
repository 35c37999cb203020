using System.Text;
using R1Sharp.Inference.Constraints;
using R1Sharp.Tokenization;
using static R1Sharp.Inference.Tests.Constraints.ConstraintKit;

namespace R1Sharp.Inference.Tests.Constraints;

/// <summary>The token mask against a brute-force truth: a token is allowed exactly when a byte-level matcher at the same
/// text can read all its bytes (the mask's trie walk and string tables must agree with that, token by token).</summary>
public class TokenMaskTests
{
    /// <summary>Compares Mask and Allows with the brute force at every step of a random generation.</summary>
    private static void CheckAgainstBruteForce(Grammar g, Tokenizer tok, int seed, int steps, int stride)
    {
        var vocab = TokenVocabulary.For(tok);
        var constraint = new GrammarConstraint(g, vocab);
        var matcher = new GrammarMatcher(g);
        var rng = new Random(seed);
        var eog = tok.EndOfGenerationIds;
        for (int step = 0; step < steps && !constraint.MustEnd; step++)
        {
            // Allows before Mask (the uncached path) on a sample, then Mask against the brute force on every token.
            if (step % stride == 0)
            {
                var truth = new bool[tok.VocabSize];
                for (int t = 0; t < tok.VocabSize; t++)
                    truth[t] = !eog.Contains(t) && tok.GetTokenType(t) == TokenType.Normal && !tok.TokenBytes(t).IsEmpty && matcher.CanAdvance(tok.TokenBytes(t));
                for (int k = 0; k < 200; k++)
                {
                    int t = rng.Next(tok.VocabSize);
                    Assert.Equal(truth[t], constraint.Allows(t));
                }
                var fresh = new GrammarConstraint(g, vocab);
                foreach (int id in ReplayIds) fresh.Accept(id);
                var logits = new float[tok.VocabSize];
                fresh.Mask(logits);
                for (int t = 0; t < tok.VocabSize; t++)
                    if (!eog.Contains(t) && float.IsFinite(logits[t]) != truth[t])
                        Assert.Fail($"token {t} {Show(tok, t)}: mask {float.IsFinite(logits[t])}, truth {truth[t]} after {Encoding.UTF8.GetString(Text.ToArray())}");
                foreach (int e in eog) Assert.Equal(0f, logits[e]);
            }
            var l = new float[tok.VocabSize];
            constraint.Mask(l);
            if (!constraint.CanEnd) foreach (int e in eog) l[e] = float.NegativeInfinity;
            for (int i = 0; i < l.Length; i++) if (l[i] == 0) l[i] = rng.NextSingle() * 8;
            int next = Generation.Draw(l, rng);
            if (eog.Contains(next)) break;
            constraint.Accept(next);
            Assert.True(matcher.TryAdvance(tok.TokenBytes(next)));
            Assert.Equal(matcher.IsComplete, constraint.CanEnd);
            Assert.Equal(matcher.IsFinished, constraint.MustEnd);
            ReplayIds.Add(next);
            Text.AddRange(tok.TokenBytes(next).ToArray());
        }
        ReplayIds.Clear();
        Text.Clear();
    }

    [ThreadStatic] private static List<int>? t_ids;
    [ThreadStatic] private static List<byte>? t_text;
    private static List<int> ReplayIds => t_ids ??= [];
    private static List<byte> Text => t_text ??= [];

    private static string Show(Tokenizer tok, int t) => System.Text.Json.JsonSerializer.Serialize(Encoding.UTF8.GetString(tok.TokenBytes(t)));

    [Fact]
    public void TinyVocabularyMaskIsExactForEverySchema()
    {
        var tok = Tokenizer(TinyModel);
        foreach (var (name, json, _) in Schemas.All)
            for (int seed = 0; seed < 3; seed++)
                CheckAgainstBruteForce(Schema(json), tok, seed, steps: 100, stride: 2);
        CheckAgainstBruteForce(Grammar.JsonObject(), tok, 5, steps: 100, stride: 2);
    }

    [Fact]
    public void R1VocabularyMaskIsExact()
    {
        var tok = Tokenizer(R1Vocab);
        foreach (string json in new[] { Schemas.All[5].Json, Schemas.All[6].Json }) // bounded strings, free keys
            CheckAgainstBruteForce(Schema(json), tok, seed: 1, steps: 36, stride: 6);
        CheckAgainstBruteForce(Grammar.JsonValue(), tok, seed: 2, steps: 30, stride: 5);
    }

    [Fact]
    public void TokensThatSplitACharacterInsideAString()
    {
        var tok = Tokenizer(R1Vocab);
        var c = new GrammarConstraint(Schema("""{"type":"string","maxLength":2}"""), tok);
        int Byte(byte b) => Enumerable.Range(0, tok.VocabSize).First(t => tok.GetTokenType(t) == TokenType.Normal && tok.TokenBytes(t).SequenceEqual(new[] { b }));
        int quote = Byte((byte)'"');
        c.Accept(quote);
        // 日 = E6 97 A5, sent as three single-byte tokens
        Assert.False(c.Allows(Byte(0x97)));
        c.Accept(Byte(0xE6));
        Assert.False(c.Allows(quote));            // cannot close inside the character
        Assert.False(c.Allows(Byte((byte)'a')));  // nor start another one
        c.Accept(Byte(0x97));
        Assert.False(c.CanEnd);
        c.Accept(Byte(0xA5));
        Assert.True(c.Allows(quote));
        int word = tok.Encode("本")[0];
        Assert.True(c.Allows(word));
        c.Accept(word);
        Assert.False(c.Allows(Byte((byte)'x'))); // maxLength 2 reached
        var logits = new float[tok.VocabSize];
        c.Mask(logits);
        var allowed = Enumerable.Range(0, tok.VocabSize).Where(t => float.IsFinite(logits[t]) && !tok.EndOfGenerationIds.Contains(t)).ToList();
        Assert.All(allowed, t => Assert.StartsWith("\"", Encoding.UTF8.GetString(tok.TokenBytes(t))));
        Assert.Contains(quote, allowed);
        c.Accept(quote);
        Assert.True(c.MustEnd);
    }

    [Fact]
    public void SpecialTokensOnlyThroughExactTokenEdgesAndComposition()
    {
        var tok = Tokenizer(R1Vocab);
        int open = tok.FindToken("<tool_call>")!.Value, close = tok.FindToken("</tool_call>")!.Value;
        const string args = """{"type":"object","properties":{"city":{"type":"string","maxLength":8}},"required":["city"],"additionalProperties":false}""";
        var g = Grammar.Compile(GrammarExpr.Sequence(
            GrammarExpr.Token(open), GrammarExpr.Text("\n{\"name\": \"get_weather\", \"arguments\": "),
            GrammarExpr.JsonSchema(args), GrammarExpr.Text("}\n"), GrammarExpr.Token(close)));
        var c = new GrammarConstraint(g, tok);
        var logits = new float[tok.VocabSize];
        c.Mask(logits);
        var allowed = Enumerable.Range(0, tok.VocabSize).Where(t => float.IsFinite(logits[t]) && !tok.EndOfGenerationIds.Contains(t)).ToList();
        Assert.Equal([open], allowed);
        Assert.False(c.Allows(tok.Encode("<")[0])); // the text spelled with normal tokens is not the token
        c.Accept(open);
        Assert.False(c.Allows(close));
        foreach (int t in tok.Encode("\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n")) c.Accept(t);
        Assert.False(c.CanEnd);
        Assert.True(c.Allows(close));
        c.Accept(close);
        Assert.True(c.MustEnd);

        // Random generations through the composition: the arguments always validate.
        for (int seed = 0; seed < 6; seed++)
        {
            var r = Generation.Run(new GrammarConstraint(g, tok), tok, null, greedy: false, seed, 200);
            Assert.True(r.Finished);
            Assert.Equal(open, r.Ids[0]);
            Assert.Equal(close, r.Ids[^1]);
            string text = r.Text;
            int start = text.IndexOf("\"arguments\": ", StringComparison.Ordinal) + "\"arguments\": ".Length;
            string json = text[start..text.LastIndexOf("}\n", StringComparison.Ordinal)];
            Assert.True(ValidJson(args, json, out string why), $"{json}: {why}");
        }
    }

    [Fact]
    public void ControlTokensAndEndOfGenerationAreNeverMaskedOrAllowed()
    {
        var tok = Tokenizer(R1Vocab);
        var c = new GrammarConstraint(Grammar.JsonValue(), tok);
        var logits = Enumerable.Repeat(1f, tok.VocabSize + 64).ToArray(); // a model with padded rows
        c.Mask(logits);
        foreach (int e in tok.EndOfGenerationIds)
        {
            Assert.Equal(1f, logits[e]);
            Assert.False(c.Allows(e));
        }
        for (int t = 0; t < tok.VocabSize; t++)
            if (tok.GetTokenType(t) != TokenType.Normal && !tok.EndOfGenerationIds.Contains(t))
            {
                Assert.Equal(float.NegativeInfinity, logits[t]);
                Assert.False(c.Allows(t));
            }
        Assert.All(logits[tok.VocabSize..], l => Assert.Equal(float.NegativeInfinity, l));
        Assert.Throws<InvalidOperationException>(() => c.Accept(tok.FindToken("<think>")!.Value));
        Assert.Throws<InvalidOperationException>(() => c.Accept(tok.Encode("]")[0]));
        int eos = tok.EndOfGenerationIds.First();
        Assert.Throws<ArgumentException>(() => new GrammarConstraint(Grammar.Compile(GrammarExpr.Token(eos)), tok));
        Assert.Throws<ArgumentException>(() => new GrammarConstraint(Grammar.Compile(GrammarExpr.Token(tok.VocabSize)), tok));
        Assert.True(TokenVocabulary.For(tok).HasAllBytes);
        Assert.True(TokenVocabulary.For(Tokenizer(TinyModel)).HasAllBytes);
    }
}
