using System.Text;
using System.Text.Json;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.Constraints;
using R1Sharp.Inference.Reasoning;
using R1Sharp.Inference.Tools;

namespace R1Sharp.Server.Api;

/// <summary>Validates API request fields and turns them into engine requests.</summary>
internal static class RequestMapping
{
    public const int MaxChoices = 16;
    public const int MaxStopStrings = 16;
    /// <summary>reasoning_effort as <see cref="ThinkingBudget.FromReasoningEffort"/> maps it (docs/thinking.md).</summary>
    public static int? EffortBudget(string effort)
    {
        try
        {
            return ThinkingBudget.FromReasoningEffort(effort);
        }
        catch (ArgumentException)
        {
            throw ApiException.BadRequest($"reasoning_effort must be 'none', 'minimal', 'low', 'medium' or 'high', not '{effort}'", "reasoning_effort");
        }
    }

    /// <summary>The thinking budget of a chat request: the server's default, then reasoning_effort, then DeepSeek's
    /// thinking.type, then an explicit thinking_budget (each overriding the one before).</summary>
    public static int? Budget(int? serverDefault, string? effort, string? thinkingType, int? explicitBudget)
    {
        int? budget = serverDefault;
        if (effort is not null) budget = EffortBudget(effort);
        if (thinkingType is not null)
        {
            if (thinkingType == "disabled") budget = 0;
            else if (thinkingType != "enabled") throw ApiException.BadRequest("thinking.type must be 'enabled' or 'disabled'", "thinking");
        }
        return explicitBudget ?? budget;
    }

    public static GenerationParameters Parameters(ISamplingRequest r, int? maxTokens, int? thinkingBudget, bool logProbs, int topLogProbs)
    {
        var parameters = new GenerationParameters
        {
            MaxTokens = maxTokens,
            Temperature = r.Temperature,
            TopP = r.TopP,
            TopK = r.TopK,
            MinP = r.MinP,
            PresencePenalty = r.PresencePenalty,
            FrequencyPenalty = r.FrequencyPenalty,
            RepetitionPenalty = r.RepeatPenalty,
            Seed = r.Seed is { } s ? unchecked((ulong)s) : null,
            Stop = StopStrings(r.Stop),
            IgnoreEos = r.IgnoreEos ?? false,
            ThinkingBudget = thinkingBudget,
            LogProbs = logProbs,
            TopLogProbs = topLogProbs,
        };
        try
        {
            parameters.Validate();
        }
        catch (GenerationParameterException e)
        {
            throw ApiException.BadRequest(e.Message, e.Field);
        }
        return parameters;
    }

    public static int Choices(ISamplingRequest r)
    {
        int n = r.N ?? 1;
        if (n is < 1 or > MaxChoices) throw ApiException.BadRequest($"n must be between 1 and {MaxChoices}", "n");
        return n;
    }

    /// <summary>The parameters of choice <paramref name="index"/> of n: a fixed seed gives each choice its own stream.</summary>
    public static GenerationParameters ForChoice(GenerationParameters p, int index) =>
        index == 0 || p.Seed is null ? p : p with { Seed = unchecked(p.Seed.Value + (ulong)index) };

    private static IReadOnlyList<string> StopStrings(JsonElement? stop)
    {
        if (stop is not { } e || e.ValueKind == JsonValueKind.Null) return [];
        if (e.ValueKind == JsonValueKind.String) return e.GetString() is { Length: > 0 } s ? [s] : [];
        if (e.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("stop must be a string or an array of strings", "stop");
        var list = new List<string>();
        foreach (var item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw ApiException.BadRequest("stop must be a string or an array of strings", "stop");
            if (item.GetString() is { Length: > 0 } s) list.Add(s);
        }
        if (list.Count > MaxStopStrings) throw ApiException.BadRequest($"at most {MaxStopStrings} stop strings", "stop");
        return list;
    }

    public static List<PromptMessage> Messages(List<ChatMessageDto>? messages)
    {
        if (messages is null || messages.Count == 0) throw ApiException.BadRequest("'messages' must be a non-empty array", "messages");
        var result = new List<PromptMessage>(messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i] ?? throw ApiException.BadRequest($"messages[{i}] must be an object", "messages");
            string role = m.Role switch
            {
                "system" or "developer" => "system",
                "user" => "user",
                "assistant" => "assistant",
                "tool" => "tool",
                null => throw ApiException.BadRequest($"messages[{i}].role is required", "messages"),
                _ => throw ApiException.BadRequest($"messages[{i}].role must be 'system', 'developer', 'user', 'assistant' or 'tool', not '{m.Role}'", "messages"),
            };
            string content = Content(m.Content, i);
            List<ToolCall>? calls = null;
            if (m.ToolCalls is { Count: > 0 } dtos)
            {
                if (role != "assistant") throw ApiException.BadRequest($"messages[{i}]: only assistant messages have tool_calls", "messages");
                calls = dtos.Select((c, j) => new ToolCall(c.Id ?? ToolCall.NewId(),
                    c.Function?.Name is { Length: > 0 } name ? name : throw ApiException.BadRequest($"messages[{i}].tool_calls[{j}].function.name is required", "messages"),
                    c.Function.Arguments is { Length: > 0 } a ? a : "{}")).ToList();
            }
            result.Add(new PromptMessage(role, content, m.ReasoningContent) { ToolCalls = calls, ToolCallId = m.ToolCallId, Name = m.Name });
        }
        return result;
    }

    private static string Content(JsonElement? content, int index)
    {
        if (content is not { } e || e.ValueKind == JsonValueKind.Null) return "";
        if (e.ValueKind == JsonValueKind.String) return e.GetString()!;
        if (e.ValueKind != JsonValueKind.Array)
            throw ApiException.BadRequest($"messages[{index}].content must be a string or an array of content parts", "messages");
        var sb = new StringBuilder();
        foreach (var part in e.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.String) { sb.Append(part.GetString()); continue; }
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                throw ApiException.BadRequest($"messages[{index}].content parts must be objects with a 'type'", "messages");
            if (type.GetString() != "text" || !part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw ApiException.BadRequest($"messages[{index}].content: only text parts are supported, not '{type.GetString()}'", "messages");
            sb.Append(text.GetString());
        }
        return sb.ToString();
    }

    /// <summary>A completions prompt: a string, an array of one string, or token ids.</summary>
    public static (string? Text, int[]? Tokens) CompletionPrompt(JsonElement? prompt)
    {
        if (prompt is not { } e || e.ValueKind == JsonValueKind.Null) throw ApiException.BadRequest("'prompt' is required", "prompt");
        if (e.ValueKind == JsonValueKind.String) return (e.GetString()!, null);
        if (e.ValueKind == JsonValueKind.Array)
        {
            int count = e.GetArrayLength();
            if (count == 1 && e[0].ValueKind == JsonValueKind.String) return (e[0].GetString()!, null);
            if (count > 0 && e.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number))
            {
                var ids = new int[count];
                int i = 0;
                foreach (var x in e.EnumerateArray())
                    ids[i++] = x.TryGetInt32(out int id) && id >= 0 ? id : throw ApiException.BadRequest("token ids must be non-negative integers", "prompt");
                return (null, ids);
            }
            if (count > 1) throw ApiException.BadRequest("only one prompt per request is supported (use n for several completions)", "prompt");
        }
        throw ApiException.BadRequest("'prompt' must be a string or an array of token ids", "prompt");
    }

    /// <summary>OpenAI's (and Ollama's) tools: [{"type": "function", "function": {"name", "description", "parameters"}}].</summary>
    public static List<ToolDefinition> Tools(JsonElement? tools, string param = "tools")
    {
        if (tools is not { } e || e.ValueKind == JsonValueKind.Null) return [];
        if (e.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest($"{param} must be an array of tools", param);
        var list = new List<ToolDefinition>();
        int i = 0;
        foreach (var tool in e.EnumerateArray())
        {
            string where = $"{param}[{i++}]";
            if (tool.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest($"{where} must be an object", param);
            if (tool.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() != "function")
                throw ApiException.BadRequest($"{where}.type must be 'function', not '{type.GetString()}'", param);
            if (!tool.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object)
                throw ApiException.BadRequest($"{where}.function must be an object", param);
            string name = f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
            if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                throw ApiException.BadRequest($"{where}.function.name must be 1 to 64 letters, digits, '_', '-' or '.'", param);
            if (list.Any(t => t.Name == name)) throw ApiException.BadRequest($"{where}: a second tool named '{name}'", param);
            string? description = f.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            JsonElement parameters = f.TryGetProperty("parameters", out var p) && p.ValueKind != JsonValueKind.Null ? p.Clone() : EmptyParameters;
            if (parameters.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest($"{where}.function.parameters must be a JSON schema object", param);
            list.Add(new ToolDefinition(name, description, parameters));
        }
        return list;
    }

    private static readonly JsonElement EmptyParameters = JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement.Clone();

    /// <summary>tool_choice: "none", "auto" (the default with tools), "required" or {"type": "function", "function": {"name"}}.</summary>
    public static ToolChoice ToolChoice(JsonElement? choice, IReadOnlyList<ToolDefinition> tools)
    {
        var result = choice switch
        {
            null or { ValueKind: JsonValueKind.Null } => tools.Count > 0 ? Inference.Tools.ToolChoice.Auto : Inference.Tools.ToolChoice.None,
            { ValueKind: JsonValueKind.String } s => s.GetString() switch
            {
                "none" => Inference.Tools.ToolChoice.None,
                "auto" => Inference.Tools.ToolChoice.Auto,
                "required" => Inference.Tools.ToolChoice.Required,
                var other => throw ApiException.BadRequest($"tool_choice must be 'none', 'auto', 'required' or a function, not '{other}'", "tool_choice"),
            },
            { ValueKind: JsonValueKind.Object } o when o.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object
                && f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String => new ToolChoice(ToolChoiceMode.Required, n.GetString()),
            _ => throw ApiException.BadRequest("tool_choice must be 'none', 'auto', 'required' or {\"type\": \"function\", \"function\": {\"name\": ...}}", "tool_choice"),
        };
        if (result.Mode != ToolChoiceMode.None && tools.Count == 0)
            throw ApiException.BadRequest($"tool_choice '{result.Mode.ToString().ToLowerInvariant()}' needs tools", "tool_choice");
        if (result.Function is { } name && tools.All(t => t.Name != name))
            throw ApiException.BadRequest($"tool_choice names the function '{name}', which is not in tools", "tool_choice");
        return result;
    }

    /// <summary>OpenAI's response_format as the grammar of the answer (null: free text).</summary>
    public static GrammarExpr? ResponseFormat(JsonElement? format)
    {
        if (format is not { } e || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            throw ApiException.BadRequest("response_format must be an object with a 'type'", "response_format");
        switch (type.GetString())
        {
            case "text": return null;
            case "json_object": return AnswerGrammar.Json(GrammarExpr.AnyJsonObject());
            case "json_schema":
                if (!e.TryGetProperty("json_schema", out var js) || js.ValueKind != JsonValueKind.Object
                    || !js.TryGetProperty("schema", out var schema) || schema.ValueKind is not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False))
                    throw ApiException.BadRequest("response_format json_schema needs {\"json_schema\": {\"schema\": {...}}}", "response_format");
                return AnswerGrammar.Json(GrammarExpr.JsonSchema(schema));
            default:
                throw ApiException.BadRequest($"response_format.type must be 'text', 'json_object' or 'json_schema', not '{type.GetString()}'", "response_format");
        }
    }

    /// <summary>Ollama's format: "json" (any JSON value) or a JSON schema (null or "": free text).</summary>
    public static GrammarExpr? OllamaFormat(JsonElement? format)
    {
        if (format is not { } e || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind == JsonValueKind.String)
            return e.GetString() switch
            {
                "" => null,
                "json" => AnswerGrammar.Json(GrammarExpr.AnyJsonValue()),
                var other => throw ApiException.BadRequest($"format must be \"json\" or a JSON schema, not '{other}'", "format"),
            };
        if (e.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("format must be \"json\" or a JSON schema", "format");
        return AnswerGrammar.Json(GrammarExpr.JsonSchema(e));
    }
}
