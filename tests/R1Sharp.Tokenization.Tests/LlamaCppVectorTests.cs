namespace R1Sharp.Tokenization.Tests;

/// <summary>llama.cpp's tokenizer test vectors (tests/fixtures/vocab): no BOS, special tokens not parsed.</summary>
public class LlamaCppVectorTests
{
    public static TheoryData<string> Vocabs => new(VocabFixtures.Names);

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void EveryVectorMatches(string name)
    {
        var tok = VocabFixtures.Load(name);
        var failures = new List<string>();
        foreach (var (text, expected) in VocabFixtures.Cases(name))
        {
            int[] ids = tok.Encode(text);
            if (!ids.SequenceEqual(expected))
                failures.Add($"{Escape(text)}\n   expected {string.Join(' ', expected)}\n   got      {string.Join(' ', ids)}");
        }
        Assert.True(failures.Count == 0, $"{name}: {failures.Count} mismatches\n" + string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void VectorsDecodeBackToTheirText(string name)
    {
        var tok = VocabFixtures.Load(name);
        foreach (var (text, expected) in VocabFixtures.Cases(name))
            Assert.Equal(text, tok.Decode(expected));
    }

    internal static string Escape(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
