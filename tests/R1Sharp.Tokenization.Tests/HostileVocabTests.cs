using System.Diagnostics;
using R1Sharp.Gguf;
using R1Sharp.TestSupport;

namespace R1Sharp.Tokenization.Tests;

/// <summary>Vocabulary metadata from a hostile or corrupt file ends in a GgufFormatException naming the key; hostile text
/// costs time linear in its length.</summary>
public sealed class HostileVocabTests
{
    /// <summary>The fixture model's tokenizer metadata with one key replaced.</summary>
    private static string WithKey(string key, GgufValueType type, object value)
    {
        using var src = GgufFile.Open(Fixtures.Path("golden", "models", "tiny-qwen2-s1-q8_0.gguf"));
        var w = new GgufWriter().CopyMetadata(src, k => k.StartsWith("tokenizer.", StringComparison.Ordinal) && k != key).Add(key, type, value);
        string path = Path.Combine(Path.GetTempPath(), $"r1-vocab-{Guid.NewGuid():N}.gguf");
        w.Write(path);
        return path;
    }

    private static string Fails(string path)
    {
        try { return Assert.Throws<GgufFormatException>(() => Tokenizer.FromGguf(path)).Problem; }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TokenTypesMustBeKnownIntegers()
    {
        // a u32 beyond int was an OverflowException, a string array a FormatException; unknown types were taken as they came
        var huge = Enumerable.Repeat(1u, 322).ToArray();
        huge[7] = 3_000_000_000;
        Assert.Contains("tokenizer.ggml.token_type[7] is 3000000000", Fails(WithKey("tokenizer.ggml.token_type", GgufValueType.Array, new GgufArray(GgufValueType.UInt32, huge))));
        var unknown = Enumerable.Repeat(1, 322).ToArray();
        unknown[5] = 99;
        Assert.Contains("tokenizer.ggml.token_type[5] is 99", Fails(WithKey("tokenizer.ggml.token_type", GgufValueType.Array, new GgufArray(GgufValueType.Int32, unknown))));
        var strings = Enumerable.Repeat("1", 322).ToArray();
        Assert.Contains("not an array of integers", Fails(WithKey("tokenizer.ggml.token_type", GgufValueType.Array, new GgufArray(GgufValueType.String, strings))));
        Assert.Contains("not an array of integers", Fails(WithKey("tokenizer.ggml.token_type", GgufValueType.UInt32, 1u)));
    }

    [Fact]
    public void TokensAndMergesMustBeStringArrays()
    {
        Assert.Contains("'tokenizer.ggml.tokens' is missing or not a string array",
            Fails(WithKey("tokenizer.ggml.tokens", GgufValueType.Array, new GgufArray(GgufValueType.Int32, new int[322]))));
        Assert.Contains("'tokenizer.ggml.merges' is missing or not a string array",
            Fails(WithKey("tokenizer.ggml.merges", GgufValueType.String, "a b")));
    }

    [Fact]
    public void EmptyOrStrangeVocabulariesAreFormatErrors()
    {
        // found by the fuzz harness: an empty token list was an ArgumentException; a long pre-tokenizer name with line
        // breaks made a multi-line message
        Assert.Contains("tokenizer.ggml.tokens is empty", Fails(WithKey("tokenizer.ggml.tokens", GgufValueType.Array, new GgufArray(GgufValueType.String, Array.Empty<string>()))));
        string pre = Fails(WithKey("tokenizer.ggml.pre", GgufValueType.String, "a\nb" + new string('c', 1000)));
        Assert.DoesNotContain('\n', pre);
        Assert.Contains("unknown pre-tokenizer type 'a\\nbccc", pre);
    }

    [Fact]
    public void ARunOfOneCharacterEncodesInLinearTime()
    {
        // the merge table hashed (a, a) pairs into one bucket: 400k spaces took ~3 s of CPU, now ~0.4 s (~1.3 s with other tests running)
        var tok = VocabFixtures.Load("deepseek-r1-qwen");
        tok.Encode("warm up  ");
        string spaces = new(' ', 400_000);
        double cpu = ThreadCpuSeconds();
        var ids = tok.Encode(spaces);
        cpu = ThreadCpuSeconds() - cpu;
        Assert.Equal(spaces, tok.Decode(ids));
        Assert.True(cpu < 2.2, $"{cpu:F2} s of CPU");
    }

    /// <summary>CPU time of this thread (Linux; elsewhere wall time), so that other tests running meanwhile do not count.</summary>
    private static double ThreadCpuSeconds()
    {
        const string stat = "/proc/thread-self/stat";
        if (!File.Exists(stat)) return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        string text = File.ReadAllText(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": field 3 is at index 0
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;   // utime + stime, in USER_HZ (100)
    }
}
