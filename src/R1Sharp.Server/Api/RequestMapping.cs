using System.Text;
using System.Text.Json;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.Reasoning;

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
            result.Add(new PromptMessage(role, content, m.ReasoningContent));
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
}
