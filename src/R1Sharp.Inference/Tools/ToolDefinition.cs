using System.Text.Json;
using System.Text.Json.Nodes;

namespace R1Sharp.Inference.Tools;

/// <summary>A function the model may call: its name, description and JSON schema of the arguments (an object schema).</summary>
public sealed record ToolDefinition(string Name, string? Description, JsonElement Parameters)
{
    /// <summary>OpenAI's tool shape, {"type": "function", "function": {"name", "description", "parameters"}}, as the
    /// template's <c>tools</c> variable and the tool list written into the prompt show it.</summary>
    public JsonObject ToJson()
    {
        var function = new JsonObject { ["name"] = Name };
        if (Description is not null) function["description"] = Description;
        function["parameters"] = JsonNode.Parse(Parameters.GetRawText());
        return new JsonObject { ["type"] = "function", ["function"] = function };
    }
}

/// <summary>A call the model made (or made earlier in the chat): <see cref="Arguments"/> is a JSON object's text.</summary>
public sealed record ToolCall(string Id, string Name, string Arguments)
{
    /// <summary>A new call id, OpenAI style ("call_" and 24 hex digits).</summary>
    public static string NewId() => "call_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
}

/// <summary>tool_choice: <see cref="ToolChoiceMode.None"/> (tools ignored), <see cref="ToolChoiceMode.Auto"/> (the
/// model decides), <see cref="ToolChoiceMode.Required"/> (a call is forced, of <see cref="Function"/> when named).</summary>
public sealed record ToolChoice(ToolChoiceMode Mode, string? Function = null)
{
    public static ToolChoice None { get; } = new(ToolChoiceMode.None);
    public static ToolChoice Auto { get; } = new(ToolChoiceMode.Auto);
    public static ToolChoice Required { get; } = new(ToolChoiceMode.Required);
}

public enum ToolChoiceMode { None, Auto, Required }
