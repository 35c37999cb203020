using System.Diagnostics;
using System.Text;

namespace R1Sharp.Tokenization.Tests;

public class TokenizerBehaviourTests
{
    private static readonly string[] s_texts =
    [
        "안녕하세요, 세계! 한국어 문장을 토큰화합니다.",
        "我们今天学习如何把中文句子切分成词元。你好，世界！",
        "public static int Add(int a, int b)\n{\n\treturn a + b; // sum\n}\n\n    if (x != null) { x?.Dispose(); }",
        "Emoji: 🦙🚀👩‍👩‍👧‍👦 ✨ 🇯🇵 and mixed 😀text😀",
        "digits 1234567890123456789 and 3.14159, 1,000,000 and ٣٤٥ ١٢",
        "whitespace    runs\t\t\tand\n\n\n\nnewlines \r\n  \u00A0 \u3000 end   ",
        "Ünïcödé çømbíñíng: e\u0301 a\u0300 \u0915\u094D\u0937 ñ",
        "math: ∑ᵢ xᵢ² ≤ ∞ ~ approx ≈ 𝔽 𝟘𝟙",
        "<think>\nreasoning\n</think>\n\nanswer <|im_end|>",
        "",
        " ",
        "\n",
        "'s 'S 'll 'LL I'm you're",
    ];

    public static TheoryData<string> Vocabs => new(VocabFixtures.Names);

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void DecodeOfEncodeIsIdentity(string name)
    {
        var tok = VocabFixtures.Load(name);
        foreach (string text in s_texts)
        {
            Assert.Equal(text, tok.Decode(tok.Encode(text)));
            Assert.Equal(text, tok.Decode(tok.Encode(text, parseSpecial: true)));
        }
    }

    [Fact]
    public void QwenSplitsDigitsOneByOneLlama3InGroupsOfThree()
    {
        Assert.Equal(["1", "2", "3", "4", "5", "6", "7"], PreTokenizer.ForName("deepseek-r1-qwen").Split("1234567"));
        Assert.Equal(["123", "456", "7"], PreTokenizer.ForName("llama-bpe").Split("1234567"));
        Assert.Equal(["123", "456", "7"], PreTokenizer.ForName("deepseek-v3").Split("1234567"));
        Assert.Equal(["1234567"], PreTokenizer.ForName("gpt-2").Split("1234567"));
        // and the ids follow: qwen has one token per digit
        var qwen = VocabFixtures.Load("deepseek-r1-qwen");
        Assert.Equal(7, qwen.Encode("1234567").Length);
        Assert.Equal(3, VocabFixtures.Load("llama-bpe").Encode("1234567").Length);
    }

    [Fact]
    public void PreTokenizerKeepsWhitespaceRulesOfTheRegex()
    {
        var qwen = PreTokenizer.ForName("qwen2");
        Assert.Equal(["Hello", " world", "  ", " x"], qwen.Split("Hello world   x"));
        Assert.Equal(["a", "\n\n", "b"], qwen.Split("a\n\nb"));
        Assert.Equal(["a", "   "], qwen.Split("a   "));
        Assert.Equal(["I", "'m", " fine"], qwen.Split("I'm fine"));
        Assert.Equal([" 🦙🚀"], qwen.Split(" 🦙🚀"));
    }

    [Fact]
    public void UnknownPreTokenizerIsAClearError()
    {
        var e = Assert.Throws<NotSupportedException>(() => PreTokenizer.ForName("no-such-pre"));
        Assert.Contains("no-such-pre", e.Message);
    }

    [Fact]
    public void SpecialTokensAreParsedOnlyWhenAsked()
    {
        var tok = VocabFixtures.Load("deepseek-r1-qwen");
        int eos = tok.FindToken("<｜end▁of▁sentence｜>")!.Value;
        Assert.Equal(TokenType.Control, tok.GetTokenType(eos));
        string text = "a<｜end▁of▁sentence｜>b";
        int[] parsed = tok.Encode(text, parseSpecial: true);
        Assert.Equal([.. tok.Encode("a"), eos, .. tok.Encode("b")], parsed);
        int[] plain = tok.Encode(text);
        Assert.DoesNotContain(eos, plain);
        Assert.True(plain.Length > 3);
        Assert.Equal(text, tok.Decode(plain));
        Assert.Equal("ab", tok.Decode(parsed, skipSpecial: true));
        Assert.Contains(eos, tok.EndOfGenerationIds);

        // R1's <think> is a user-defined token: llama.cpp splits it out even when special tokens are not parsed
        int think = tok.FindToken("<think>")!.Value;
        Assert.Equal(TokenType.UserDefined, tok.GetTokenType(think));
        Assert.Equal([think], tok.Encode("<think>"));
        Assert.Equal([think], tok.Encode("<think>", parseSpecial: true));
        Assert.Equal("<think>", tok.Decode([think], skipSpecial: true));
    }

    [Fact]
    public void StreamingDecoderNeverSplitsACharacter()
    {
        var tok = VocabFixtures.Load("gpt-2");
        string text = "🦙 中文 한국어 é 👩‍👩‍👧‍👦 ok";
        int[] ids = tok.Encode(text);
        // GPT-2 has few CJK/emoji tokens: some characters must span several tokens for this test to mean something
        Assert.Contains(ids, id => Encoding.UTF8.GetCharCount(tok.TokenBytes(id)) == 0 || !IsCompleteUtf8(tok.TokenBytes(id)));
        var dec = new StreamingDecoder(tok);
        var sb = new StringBuilder();
        foreach (int id in ids)
        {
            string piece = dec.Push(id);
            Assert.DoesNotContain('\uFFFD', piece);
            if (piece.Length > 0) Assert.False(char.IsHighSurrogate(piece[^1]));
            sb.Append(piece);
        }
        sb.Append(dec.Flush());
        Assert.Equal(text, sb.ToString());
    }

    [Fact]
    public void StreamingDecoderFlushesAnIncompleteTail()
    {
        var tok = VocabFixtures.Load("gpt-2");
        byte[] llama = Encoding.UTF8.GetBytes("🦙");
        // the single-byte tokens of the first two bytes of a four-byte character
        int b0 = tok.FindToken(ByteLevel.ByteToChar(llama[0]).ToString())!.Value;
        int b1 = tok.FindToken(ByteLevel.ByteToChar(llama[1]).ToString())!.Value;
        var dec = new StreamingDecoder(tok);
        Assert.Equal("", dec.Push(b0));
        Assert.Equal("", dec.Push(b1));
        Assert.Equal("\uFFFD", dec.Flush());
        Assert.Equal("", dec.Flush());
    }

    [Fact]
    public void ByteLevelMappingIsGpt2s()
    {
        Assert.Equal('Ġ', ByteLevel.ByteToChar((byte)' '));
        Assert.Equal('Ċ', ByteLevel.ByteToChar((byte)'\n'));
        Assert.Equal('A', ByteLevel.ByteToChar((byte)'A'));
        Assert.Equal('\u0121', ByteLevel.ByteToChar(0x7F));
        Assert.Equal('\u0143', ByteLevel.ByteToChar(0xAD));
        var seen = new HashSet<char>();
        for (int b = 0; b < 256; b++)
        {
            char c = ByteLevel.ByteToChar((byte)b);
            Assert.True(seen.Add(c));
            Assert.Equal(b, ByteLevel.CharToByte(c));
        }
    }

    [Fact]
    public void LongTextIsFastAndExact()
    {
        var tok = VocabFixtures.Load("deepseek-r1-qwen");
        var sb = new StringBuilder();
        var rng = new Random(7);
        string[] parts = [.. s_texts.Where(t => t.Length > 0), "The quick brown fox jumps over the lazy dog. "];
        while (sb.Length < 100_000) sb.Append(parts[rng.Next(parts.Length)]).Append(rng.Next(100000)).Append(' ');
        string text = sb.ToString();
        tok.Encode("warm up " + text[..1000]);
        var sw = Stopwatch.StartNew();
        int[] ids = tok.Encode(text);
        sw.Stop();
        Assert.Equal(text, tok.Decode(ids));
        // well under a second normally; the bound is loose because the test machine is shared
        Assert.True(sw.Elapsed.TotalSeconds < 3, $"100 KB took {sw.Elapsed.TotalMilliseconds:F0} ms");
    }

    private static bool IsCompleteUtf8(ReadOnlySpan<byte> b)
    {
        try { new UTF8Encoding(false, true).GetString(b); return true; }
        catch (DecoderFallbackException) { return false; }
    }
}
