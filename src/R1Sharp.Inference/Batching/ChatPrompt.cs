using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using R1Sharp.Inference.Tools;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Inference.Batching;

/// <summary>
/// Renders a chat, with its tool calls, tool results and tool list, through a model's chat template. Messages reach
/// the template as OpenAI writes them (<c>tool_calls</c> with string arguments, <c>tool_call_id</c>; an assistant turn
/// that only calls tools has <c>content</c> None). The tool list goes into the template's <c>tools</c> variable; a
/// template that has no place for it (R1's templates) gets it in the system prompt instead, as llama.cpp's chat
/// templates do: "You can call any of the following tools to satisfy the user's requests: " + the list as JSON
/// (indent 2) + an example call, appended to the first system message or as a new one.
/// </summary>
public static partial class ChatPrompt
{
    public const string ToolListIntro = "You can call any of the following tools to satisfy the user's requests: ";

    public static string Render(ChatTemplate template, IReadOnlyList<PromptMessage> messages, IReadOnlyList<ToolDefinition>? tools,
        bool addGenerationPrompt = true)
    {
        bool objectArguments = ObjectArguments().IsMatch(template.Source);
        var values = messages.Select(m => Value(m, objectArguments)).ToList();
        Dictionary<string, object?>? extra = null;
        if (tools is { Count: > 0 })
        {
            var list = new JsonArray(tools.Select(t => (JsonNode)t.ToJson()).ToArray());
            if (TakesTools(template.Source)) extra = new() { ["tools"] = JsonSerializer.SerializeToElement(list) };
            else
            {
                string text = ToolListIntro + list.ToJsonString(IndentedJson) + "\n\nExample tool call syntax:\n\n"
                    + ToolCallSyntax.ForTemplate(template.Source).Example + "\n\n";
                if (values.Count > 0 && values[0] is Dictionary<string, object?> first && Equals(first["role"], "system"))
                    first["content"] = (first["content"] as string ?? "") + "\n\n" + text;
                else values.Insert(0, new Dictionary<string, object?> { ["role"] = "system", ["content"] = text });
            }
        }
        return template.RenderValues(values, addGenerationPrompt, extra);
    }

    /// <summary>Whether the template reads the <c>tools</c> variable (Qwen2.5, Llama 3.1 do; R1's templates do not).</summary>
    public static bool TakesTools(string templateSource) => ToolsVariable().IsMatch(templateSource);

    // objectArguments: the template writes `arguments | tojson` (Qwen2.5), so it wants them as an object, not as text.
    private static object? Value(PromptMessage m, bool objectArguments)
    {
        bool callsOnly = m.ToolCalls is { Count: > 0 } && m.Content.Length == 0;
        var d = new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = callsOnly ? null : m.Content };
        if (m.ReasoningContent is not null) d["reasoning_content"] = m.ReasoningContent;
        if (m.ToolCalls is { Count: > 0 } calls)
            d["tool_calls"] = calls.Select(c => (object?)new Dictionary<string, object?>
            {
                ["id"] = c.Id,
                ["type"] = "function",
                ["function"] = new Dictionary<string, object?> { ["name"] = c.Name, ["arguments"] = objectArguments ? ParseArguments(c.Arguments) : c.Arguments },
            }).ToList();
        if (m.ToolCallId is not null) d["tool_call_id"] = m.ToolCallId;
        if (m.Name is not null) d["name"] = m.Name;
        return d;
    }

    private static object? ParseArguments(string arguments)
    {
        try
        {
            using var doc = JsonDocument.Parse(arguments);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return arguments;
        }
    }

    private static readonly JsonSerializerOptions IndentedJson = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [GeneratedRegex(@"\btools\b")]
    private static partial Regex ToolsVariable();

    [GeneratedRegex(@"arguments\s*\|\s*tojson")]
    private static partial Regex ObjectArguments();
}
