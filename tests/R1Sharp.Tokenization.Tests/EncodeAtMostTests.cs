using System.Text;

namespace R1Sharp.Tokenization.Tests;

/// <summary>Bounded encoding (what the server uses to refuse prompts longer than the context early): the same ids as
/// Encode when they fit, null exactly when they do not, on llama.cpp's test vectors and with special tokens.</summary>
public class EncodeAtMostTests
{
    public static TheoryData<string> Vocabs => new(VocabFixtures.Names);

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void AgreesWithEncodeAtEveryLimit(string name)
    {
        var tok = VocabFixtures.Load(name);
        var texts = VocabFixtures.Cases(name).Select(c => c.Text).ToList();
        texts.Add(string.Concat(texts));                                            // many words
        texts.Add(new string('x', 3000) + " " + new string('=', 700));             // long single words
        texts.Add("<｜User｜>hi<｜Assistant｜><think>\nok</think>" + "\ud800 lone");  // specials, a lone surrogate
        foreach (string text in texts)
            foreach (bool bos in new[] { false, true })
            {
                int[] full = tok.Encode(text, bos, parseSpecial: true);
                foreach (int limit in new[] { 0, 1, full.Length - 1, full.Length, full.Length + 1, full.Length / 2, int.MaxValue }.Where(l => l >= 0).Distinct())
                {
                    int[]? bounded = tok.EncodeAtMost(text, limit, bos, parseSpecial: true);
                    if (full.Length <= limit) Assert.Equal(full, bounded);
                    else Assert.True(bounded is null, $"{name}: {full.Length} tokens came back under a limit of {limit}");
                }
            }
    }

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void ALoneSurrogateIsEncodedAsTheReplacementCharacter(string name)
    {
        // What the server's request check keeps out can still come from a library caller: no throw, U+FFFD's ids.
        var tok = VocabFixtures.Load(name);
        Assert.Equal(tok.Encode("a \ufffd b\ufffd"), tok.Encode("a \ud800 b\udfff"));
        Assert.Equal(tok.Encode("\ufffd"), tok.EncodeAtMost("\udbff", 100));
    }

    [Fact]
    public void LongestTokenBoundsTheBytesOfEveryToken()
    {
        foreach (var name in VocabFixtures.Names)
        {
            var tok = VocabFixtures.Load(name);
            int longest = Enumerable.Range(0, tok.VocabSize).Max(i => tok.TokenBytes(i).Length);
            Assert.Equal(longest, tok.MaxTokenBytes);
        }
        Assert.Equal(128, VocabFixtures.Load("deepseek-r1-qwen").MaxTokenBytes);
    }

    [Fact]
    public void ATextTooLongByItsSizeIsRefusedWithoutTokenizing()
    {
        var tok = VocabFixtures.Load("deepseek-r1-qwen");
        string huge = new('x', 64 * 1024 * 1024);   // one 64 MiB word: BPE on it would take gigabytes
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        Assert.Null(tok.EncodeAtMost(huge, 4095));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 1024 * 1024, "allocated while refusing");
        // A word of 100 000 bytes needs at least 782 tokens at 128 bytes each: refused at 781 before its BPE.
        string text = "hi " + new string('x', 100_000);
        allocated = GC.GetAllocatedBytesForCurrentThread();
        Assert.Null(tok.EncodeAtMost(text, 781));
        long refusing = GC.GetAllocatedBytesForCurrentThread() - allocated;
        allocated = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(tok.Encode(text).Length >= 782);
        long encoding = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.True(refusing * 3 < encoding, $"refusing allocated {refusing} bytes, encoding {encoding}");
    }
}
