using System.Text.Json;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.Tools;
using R1Sharp.TestSupport;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Inference.Tests.Tools;

/// <summary>Chats with tool lists, tool calls and tool results rendered by <see cref="ChatPrompt"/> equal Python
/// jinja2's rendering of the same templates (tests/fixtures/templates/tools.json, made by make-tools-fixture.py).</summary>
public sealed class ChatPromptToolsTests
{
    private static readonly JsonElement[] Cases = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("templates", "tools.json")))
        .RootElement.EnumerateArray().ToArray();

    public static TheoryData<int, string> CaseIds()
    {
        var data = new TheoryData<int, string>();
        for (int i = 0; i < Cases.Length; i++)
            data.Add(i, Cases[i].GetProperty("name").GetString() + (Cases[i].GetProperty("add_generation_prompt").GetBoolean() ? "+gen" : ""));
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void RenderingEqualsJinja2(int index, string name)
    {
        var c = Cases[index];
        var template = new ChatTemplate(File.ReadAllText(Fixtures.Path("templates", c.GetProperty("template").GetString()!)),
            c.GetProperty("bos_token").GetString()!, c.GetProperty("eos_token").GetString()!);
        var messages = c.GetProperty("messages").EnumerateArray().Select(m => new PromptMessage(
            m.GetProperty("role").GetString()!,
            m.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String ? content.GetString()! : "")
        {
            ToolCalls = m.TryGetProperty("tool_calls", out var calls)
                ? calls.EnumerateArray().Select(t => new ToolCall(t.GetProperty("id").GetString()!,
                    t.GetProperty("function").GetProperty("name").GetString()!, t.GetProperty("function").GetProperty("arguments").GetString()!)).ToList()
                : null,
            ToolCallId = m.TryGetProperty("tool_call_id", out var id) ? id.GetString() : null,
        }).ToList();
        var tools = c.GetProperty("tools").EnumerateArray().Select(t =>
        {
            var f = t.GetProperty("function");
            return new ToolDefinition(f.GetProperty("name").GetString()!, f.GetProperty("description").GetString(), f.GetProperty("parameters"));
        }).ToList();
        string rendered = ChatPrompt.Render(template, messages, tools, c.GetProperty("add_generation_prompt").GetBoolean());
        Assert.True(c.GetProperty("expected").GetString() == rendered, $"{name}:\n{rendered}");
    }

    [Fact]
    public void TemplatesThatReadToolsGetThemThereAndOthersInTheSystemPrompt()
    {
        Assert.False(ChatPrompt.TakesTools(File.ReadAllText(Fixtures.Path("templates", "deepseek-r1.jinja"))));
        Assert.True(ChatPrompt.TakesTools(File.ReadAllText(Fixtures.Path("templates", "qwen2.5.jinja"))));
        Assert.Same(ToolCallSyntax.Hermes, ToolCallSyntax.ForTemplate(File.ReadAllText(Fixtures.Path("templates", "qwen2.5.jinja"))));
        Assert.Same(ToolCallSyntax.DeepSeekR1, ToolCallSyntax.ForTemplate(File.ReadAllText(Fixtures.Path("templates", "deepseek-r1-distill.jinja"))));
    }
}
