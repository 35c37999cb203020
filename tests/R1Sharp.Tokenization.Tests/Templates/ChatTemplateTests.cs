using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.TestSupport;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Tokenization.Tests.Templates;

public class ChatTemplateTests
{
    private static readonly JsonElement[] Chats = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("templates", "chats.json")))
        .RootElement.EnumerateArray().ToArray();

    public static TheoryData<int, string> ChatIds()
    {
        var data = new TheoryData<int, string>();
        for (int i = 0; i < Chats.Length; i++)
            data.Add(i, Chats[i].GetProperty("name").GetString() + (Chats[i].GetProperty("add_generation_prompt").GetBoolean() ? "+gen" : ""));
        return data;
    }

    /// <summary>Real chat templates (DeepSeek-R1, R1-Distill, Qwen2.5, Llama 3.1) rendered by jinja2 as transformers does.</summary>
    [Theory]
    [MemberData(nameof(ChatIds))]
    public void RealTemplatesRenderLikeTransformers(int index, string name)
    {
        var c = Chats[index];
        string source = File.ReadAllText(Fixtures.Path("templates", c.GetProperty("template").GetString()!));
        var template = new ChatTemplate(source, c.GetProperty("bos_token").GetString()!, c.GetProperty("eos_token").GetString()!);
        var messages = (List<object?>)JinjaTemplate.FromJson(c.GetProperty("messages"))!;
        var extra = new Dictionary<string, object?> { ["tools"] = JinjaTemplate.FromJson(c.GetProperty("tools")) };
        foreach (var p in c.GetProperty("extra").EnumerateObject()) extra[p.Name] = JinjaTemplate.FromJson(p.Value);
        string rendered = template.RenderValues(messages, c.GetProperty("add_generation_prompt").GetBoolean(), extra);
        Assert.Equal(c.GetProperty("expected").GetString(), rendered);
        Assert.NotNull(name);
    }

    public static TheoryData<string, int> GoldenChats()
    {
        var data = new TheoryData<string, int>();
        foreach (var model in JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden", "manifest.json"))).RootElement.EnumerateArray())
            for (int i = 0; i < model.GetProperty("chats").GetArrayLength(); i++)
                data.Add(model.GetProperty("model").GetString()!, i);
        return data;
    }

    /// <summary>The manifest's renderings (Python jinja2) of each fixture model's own template, from the GGUF.</summary>
    [Theory]
    [MemberData(nameof(GoldenChats))]
    public void GgufTemplateMatchesGoldenRendering(string model, int chat)
    {
        var entry = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden", "manifest.json"))).RootElement.EnumerateArray()
            .First(m => m.GetProperty("model").GetString() == model).GetProperty("chats")[chat];
        using var file = GgufFile.Open(Fixtures.Path("golden", "models", model));
        var template = ChatTemplate.FromGguf(file);
        var messages = entry.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();
        string rendered = template.Render(messages, addGenerationPrompt: true);
        Assert.Equal(entry.GetProperty("rendered").GetString(), rendered);
        // rendered and tokenized (special tokens parsed, the BOS is in the text) = llama.cpp's ids
        var tokenizer = Tokenizer.FromGguf(file);
        Assert.Equal(entry.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            tokenizer.Encode(rendered, addBos: false, parseSpecial: true));
    }

    private static ChatTemplate R1() => new(File.ReadAllText(Fixtures.Path("templates", "deepseek-r1.jinja")),
        "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>");

    [Fact]
    public void R1DropsEarlierReasoningAndOpensThinking()
    {
        // Hand-derived: the system prompt follows BOS; an assistant turn keeps only what follows its last </think>;
        // the generation prompt opens <think> and a newline.
        var messages = new List<ChatMessage>
        {
            new("system", "Be exact."),
            new("user", "2+2?"),
            new("assistant", "<think>\ntrivial\n</think>\n\n4") { ReasoningContent = "should never appear" },
            new("user", "and 3+3?"),
        };
        Assert.Equal("<｜begin▁of▁sentence｜>Be exact.<｜User｜>2+2?<｜Assistant｜>\n\n4<｜end▁of▁sentence｜><｜User｜>and 3+3?<｜Assistant｜><think>\n",
            R1().Render(messages));
    }

    [Fact]
    public void ReasoningContentNeverReachesTheR1Prompt()
    {
        var messages = new List<ChatMessage>
        {
            new("user", "hi"),
            new("assistant", "Hello.") { ReasoningContent = "SECRET-THOUGHT" },
            new("user", "again"),
        };
        string withReasoning = R1().Render(messages);
        Assert.DoesNotContain("SECRET-THOUGHT", withReasoning);
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜>Hello.<｜end▁of▁sentence｜><｜User｜>again<｜Assistant｜><think>\n", withReasoning);
    }

    [Fact]
    public void NoGenerationPromptEndsAfterTheLastTurn() =>
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>hi", R1().Render([new("user", "hi")], addGenerationPrompt: false));

    [Fact]
    public void FromGgufTakesBosFromTheVocabulary()
    {
        using var file = GgufFile.Open(Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf"));
        var t = ChatTemplate.FromGguf(file);
        Assert.Equal("<｜begin▁of▁sentence｜>", t.BosToken);
        Assert.Equal("<｜end▁of▁sentence｜>", t.EosToken);
    }
}
