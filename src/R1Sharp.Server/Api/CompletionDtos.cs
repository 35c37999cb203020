using System.Text.Json;
using System.Text.Json.Serialization;

namespace R1Sharp.Server.Api;

/// <summary>POST /v1/completions body: a raw prompt, no chat template, no reasoning split.</summary>
internal sealed record CompletionRequest : ISamplingRequest
{
    /// <summary>A string, an array of one string, or an array of token ids.</summary>
    [JsonPropertyName("prompt")] public JsonElement? Prompt { get; init; }
    [JsonPropertyName("logprobs")] public int? LogProbs { get; init; }
    [JsonPropertyName("echo")] public bool? Echo { get; init; }
    [JsonPropertyName("temperature")] public float? Temperature { get; init; }
    [JsonPropertyName("top_p")] public float? TopP { get; init; }
    [JsonPropertyName("top_k")] public int? TopK { get; init; }
    [JsonPropertyName("min_p")] public float? MinP { get; init; }
    [JsonPropertyName("seed")] public long? Seed { get; init; }
    [JsonPropertyName("max_tokens")] public int? MaxTokens { get; init; }
    [JsonPropertyName("stop")] public JsonElement? Stop { get; init; }
    [JsonPropertyName("presence_penalty")] public float? PresencePenalty { get; init; }
    [JsonPropertyName("frequency_penalty")] public float? FrequencyPenalty { get; init; }
    [JsonPropertyName("repeat_penalty")] public float? RepeatPenalty { get; init; }
    [JsonPropertyName("ignore_eos")] public bool? IgnoreEos { get; init; }
    [JsonPropertyName("n")] public int? N { get; init; }
    [JsonPropertyName("stream")] public bool? Stream { get; init; }
    [JsonPropertyName("stream_options")] public StreamOptionsDto? StreamOptions { get; init; }
    [JsonPropertyName("model")] public string? Model { get; init; }
}

internal sealed record CompletionResponse
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("object")] public string Object { get; init; } = "text_completion";
    [JsonPropertyName("created")] public long Created { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("system_fingerprint")] public string SystemFingerprint { get; init; } = "r1sharp";
    [JsonPropertyName("choices")] public required List<CompletionChoiceDto> Choices { get; init; }
    [JsonPropertyName("usage")] public UsageDto? Usage { get; init; }
}

internal sealed record CompletionChoiceDto
{
    [JsonPropertyName("index")] public int Index { get; init; }
    [JsonPropertyName("text")] public required string Text { get; init; }
    [JsonPropertyName("logprobs"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] public CompletionLogProbsDto? LogProbs { get; init; }
    [JsonPropertyName("finish_reason"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? FinishReason { get; init; }
}

/// <summary>The legacy completions log-probability shape.</summary>
internal sealed record CompletionLogProbsDto
{
    [JsonPropertyName("tokens")] public required List<string> Tokens { get; init; }
    [JsonPropertyName("token_logprobs")] public required List<float> TokenLogProbs { get; init; }
    [JsonPropertyName("top_logprobs")] public required List<Dictionary<string, float>> TopLogProbs { get; init; }
    [JsonPropertyName("text_offset")] public required List<int> TextOffset { get; init; }
}
