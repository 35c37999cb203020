using System.Text;
using R1Sharp.Tokenization;
using R1Sharp.TestSupport;

namespace R1Sharp.Fuzz;

/// <summary>Real tokenizers on arbitrary text and ids. Properties: decode(encode(s)) == s (lone surrogates come back as
/// U+FFFD, as UTF-8 cannot hold them), with special tokens parsed or not; the streaming decoder's pieces joined equal
/// the decoder's text for any ids. No exception is expected.</summary>
public sealed class TokenizerTextTarget(params string[] vocabularies) : FuzzTarget
{
    private readonly Lazy<Tokenizer>[] _tokenizers = vocabularies.Select(v => new Lazy<Tokenizer>(() => Load(v))).ToArray();

    public override string Name => "text";

    /// <summary>A fixture vocabulary ("deepseek-r1-qwen", "deepseek-v3", "llama-bpe", "deepseek-llm", "gpt-2") or the fixture
    /// models' own ("tiny").</summary>
    private static Tokenizer Load(string name) => Tokenizer.FromGguf(name == "tiny"
        ? Fixtures.Path("golden", "models", "tiny-qwen2-s1-q8_0.gguf")
        : Fixtures.Path("vocab", $"ggml-vocab-{name}.gguf"));

    public override FuzzInput Generate(Random rng)
    {
        int which = rng.Next(_tokenizers.Length);
        int length = rng.Next(10) == 0 ? rng.Next(20_000) : rng.Next(300);
        string text = TextGenerator.Text(rng, length);
        int[] ids = [.. Enumerable.Range(0, rng.Next(100)).Select(_ => rng.Next(1 << 20))];
        return new FuzzInput($"{vocabularies[which]}: text of {text.Length} chars, {ids.Length} ids", Text: text, Ids: ids, Variant: which);
    }

    public override void Execute(FuzzInput input)
    {
        var tok = _tokenizers[input.Variant].Value;
        string text = input.Text!, expected = TextGenerator.Utf8RoundTrip(text);
        foreach (bool special in new[] { false, true })
        {
            var ids = tok.Encode(text, parseSpecial: special);
            string back = tok.Decode(ids);
            if (back != expected)
                throw new FuzzPropertyException($"decode(encode(text)) differs (parseSpecial {special}): {Show(expected)} -> {Show(back)}");
            CheckStreaming(tok, ids, skipSpecial: special);
        }
        var random = input.Ids!.Select(id => id % tok.VocabSize).ToArray();
        CheckStreaming(tok, random, skipSpecial: false);
        CheckStreaming(tok, random, skipSpecial: true);
    }

    /// <summary>The streaming decoder's pieces, joined, are the decoder's text.</summary>
    internal static void CheckStreaming(Tokenizer tok, int[] ids, bool skipSpecial)
    {
        var stream = new StreamingDecoder(tok, skipSpecial);
        var sb = new StringBuilder();
        foreach (int id in ids) sb.Append(stream.Push(id));
        sb.Append(stream.Flush());
        string whole = tok.Decode(ids, skipSpecial);
        if (sb.ToString() != whole) throw new FuzzPropertyException($"streaming decode {Show(sb.ToString())} != decode {Show(whole)} for [{string.Join(",", ids)}]");
    }

    private static string Show(string s) => s.Length > 80 ? System.Text.Json.JsonSerializer.Serialize(s[..80]) + "..." : System.Text.Json.JsonSerializer.Serialize(s);

    public override bool IsExpected(Exception e) => false;
}
