using System.Text.Json;
using R1Sharp.TestSupport;

namespace R1Sharp.Tokenization.Tests;

/// <summary>The golden manifest's chat renderings, tokenized by llama.cpp with special tokens parsed
/// (the rendering already starts with the BOS text, so no BOS is added).</summary>
public class GoldenChatTests
{
    public static TheoryData<string> Models()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden", "manifest.json")));
        return new TheoryData<string>(doc.RootElement.EnumerateArray().Select(m => m.GetProperty("model").GetString()!));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void RenderedChatsTokenizeToLlamaCppIds(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden", "manifest.json")));
        var entry = doc.RootElement.EnumerateArray().Single(m => m.GetProperty("model").GetString() == model);
        var tok = VocabFixtures.LoadModel(model);
        int n = 0;
        foreach (var chat in entry.GetProperty("chats").EnumerateArray())
        {
            string rendered = chat.GetProperty("rendered").GetString()!;
            int[] expected = chat.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(expected, tok.Encode(rendered, addBos: false, parseSpecial: true));
            Assert.Equal(rendered, tok.Decode(expected));
            n++;
        }
        Assert.True(n > 0);
        Assert.Equal(entry.GetProperty("n_vocab").GetInt32(), tok.VocabSize);
    }

    [Fact]
    public void TinyModelMetadata()
    {
        var tok = VocabFixtures.LoadModel("tiny-qwen2-s1-f32.gguf");
        Assert.Equal(316, tok.BosId);
        Assert.Equal(317, tok.EosId);
        Assert.True(tok.AddBos);
        Assert.Contains(317, tok.EndOfGenerationIds);
        Assert.Equal(tok.FindToken("<｜begin▁of▁sentence｜>"), tok.BosId);
        // the BOS text is parsed to the BOS id only when special tokens are parsed
        Assert.Equal([316], tok.Encode("<｜begin▁of▁sentence｜>", parseSpecial: true));
        Assert.NotEqual([316], tok.Encode("<｜begin▁of▁sentence｜>"));
        Assert.Equal([316, .. tok.Encode("hi")], tok.Encode("hi", addBos: true));
    }
}
