using System.CommandLine;
using R1Sharp.Cli.Commands;
using R1Sharp.Gguf;
using R1Sharp.TestSupport;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Cli.Tests;

public class RenderCommandTests
{
    [Fact]
    public void ContentPartsAreJoinedAndOtherFieldsPassThrough()
    {
        var messages = RenderCommand.ParseMessages("""
            [{"role":"user","content":[{"type":"text","text":"add "},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"7 and 5"}]},
             {"role":"assistant","content":null,"tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]},
             {"role":"assistant","content":"ok","reasoning_content":"hidden"}]
            """);
        var first = (JinjaDict)messages[0]!;
        Assert.Equal("add 7 and 5", first["content"]);
        var second = (JinjaDict)messages[1]!;
        Assert.Null(second["content"]);
        Assert.True(second.ContainsKey("tool_calls"));
        Assert.Equal("hidden", ((JinjaDict)messages[2]!)["reasoning_content"]);
    }

    [Theory]
    [InlineData("{\"role\":\"user\"}")]
    [InlineData("[{\"content\":\"no role\"}]")]
    [InlineData("[1]")]
    [InlineData("[{\"role\":\"user\",\"content\":5}]")]
    public void BadMessagesAreRejected(string json) =>
        Assert.ThrowsAny<Exception>(() => RenderCommand.ParseMessages(json));

    [Fact]
    public void RendersTheGoldenChatExactly()
    {
        // The manifest's second chat on the fixture model, through the command's own parsing and the GGUF's template.
        string model = Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf");
        var messages = RenderCommand.ParseMessages("""
            [{"role":"system","content":"You are terse."},{"role":"user","content":"add 7 and 5"},
             {"role":"assistant","content":"<think>\n7 + 5 = 12\n</think>\n\nThe answer is 12."},{"role":"user","content":"then multiply by 10"}]
            """);
        using var file = GgufFile.Open(model);
        Assert.Equal("<｜begin▁of▁sentence｜>You are terse.<｜User｜>add 7 and 5<｜Assistant｜>\n\nThe answer is 12.<｜end▁of▁sentence｜><｜User｜>then multiply by 10<｜Assistant｜><think>\n",
            ChatTemplate.FromGguf(file).RenderValues(messages));
        Assert.NotNull(new RenderCommand().Build());
    }
}
