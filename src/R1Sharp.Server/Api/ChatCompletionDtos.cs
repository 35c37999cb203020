using System.Text.Json;
using System.Text.Json.Serialization;

namespace R1Sharp.Server.Api;

/// <summary>POST /v1/chat/completions body (OpenAI plus DeepSeek/llama.cpp extensions).</summary>
internal sealed record ChatCompletionRequest : ISamplingRequest
{
    [JsonPropertyName("messages")] public List<ChatMessageDto>? Messages { get; init; }
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
    [JsonPropertyName("logprobs")] public bool? LogProbs { get; init; }
    [JsonPropertyName("top_logprobs")] public int? TopLogProbs { get; init; }
    [JsonPropertyName("thinking_budget")] public int? ThinkingBudget { get; init; }
    [JsonPropertyName("reasoning_effort")] public string? ReasoningEffort { get; init; }
    /// <summary>DeepSeek's {"type": "enabled" | "disabled"}.</summary>
    [JsonPropertyName("thinking")] public ThinkingDto? Thinking { get; init; }
    [JsonPropertyName("max_completion_tokens")] public int? MaxCompletionTokens { get; init; }
    /// <summary>[{"type": "function", "function": {"name", "description", "parameters"}}].</summary>
    [JsonPropertyName("tools")] public JsonElement? Tools { get; init; }
    /// <summary>"none", "auto", "required" or {"type": "function", "function": {"name"}}.</summary>
    [JsonPropertyName("tool_choice")] public JsonElement? ToolChoice { get; init; }
    [JsonPropertyName("parallel_tool_calls")] public bool? ParallelToolCalls { get; init; }
    /// <summary>{"type": "text" | "json_object" | "json_schema", "json_schema": {"name", "schema", "strict"}}.</summary>
    [JsonPropertyName("response_format")] public JsonElement? ResponseFormat { get; init; }
}

internal sealed record StreamOptionsDto
{
    [JsonPropertyName("include_usage")] public bool? IncludeUsage { get; init; }
}

internal sealed record ThinkingDto
{
    [JsonPropertyName("type")] public string? Type { get; init; }
}

internal sealed record ChatMessageDto
{
    [JsonPropertyName("role")] public string? Role { get; init; }
    /// <summary>A string, an array of content parts ({"type":"text","text":...}) or null.</summary>
    [JsonPropertyName("content")] public JsonElement? Content { get; init; }
    [JsonPropertyName("reasoning_content")] public string? ReasoningContent { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("tool_calls")] public List<ToolCallDto>? ToolCalls { get; init; }
    [JsonPropertyName("tool_call_id")] public string? ToolCallId { get; init; }
}

/// <summary>A tool call in a message, or (with <see cref="Index"/>) in a streamed delta.</summary>
public sealed record ToolCallDto
{
    [JsonPropertyName("index")] public int? Index { get; init; }
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("type")] public string? Type { get; init; } = "function";
    [JsonPropertyName("function")] public FunctionCallDto? Function { get; init; }
}

public sealed record FunctionCallDto
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    /// <summary>The arguments as a JSON object's text.</summary>
    [JsonPropertyName("arguments")] public string? Arguments { get; init; }
}

internal sealed record ChatCompletionResponse
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("object")] public string Object { get; init; } = "chat.completion";
    [JsonPropertyName("created")] public long Created { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("system_fingerprint")] public string SystemFingerprint { get; init; } = "r1sharp";
    [JsonPropertyName("choices")] public required List<ChatChoiceDto> Choices { get; init; }
    [JsonPropertyName("usage")] public UsageDto? Usage { get; init; }
}

internal sealed record ChatChoiceDto
{
    [JsonPropertyName("index")] public int Index { get; init; }
    [JsonPropertyName("message")] public required ResponseMessageDto Message { get; init; }
    [JsonPropertyName("logprobs"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] public ChatLogProbsDto? LogProbs { get; init; }
    [JsonPropertyName("finish_reason")] public required string FinishReason { get; init; }
}

internal sealed record ResponseMessageDto
{
    [JsonPropertyName("role")] public string Role { get; init; } = "assistant";
    [JsonPropertyName("content"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Content { get; init; }
    [JsonPropertyName("reasoning_content")] public string? ReasoningContent { get; init; }
    [JsonPropertyName("tool_calls")] public List<ToolCallDto>? ToolCalls { get; init; }
}

internal sealed record ChatCompletionChunk
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("object")] public string Object { get; init; } = "chat.completion.chunk";
    [JsonPropertyName("created")] public long Created { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("system_fingerprint")] public string SystemFingerprint { get; init; } = "r1sharp";
    [JsonPropertyName("choices")] public required List<ChunkChoiceDto> Choices { get; init; }
    [JsonPropertyName("usage")] public UsageDto? Usage { get; init; }
}

internal sealed record ChunkChoiceDto
{
    [JsonPropertyName("index")] public int Index { get; init; }
    [JsonPropertyName("delta")] public required DeltaDto Delta { get; init; }
    [JsonPropertyName("logprobs")] public ChatLogProbsDto? LogProbs { get; init; }
    [JsonPropertyName("finish_reason"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? FinishReason { get; init; }
}

internal sealed record DeltaDto
{
    [JsonPropertyName("role")] public string? Role { get; init; }
    [JsonPropertyName("content")] public string? Content { get; init; }
    [JsonPropertyName("reasoning_content")] public string? ReasoningContent { get; init; }
    [JsonPropertyName("tool_calls")] public List<ToolCallDto>? ToolCalls { get; init; }
}

internal sealed record ChatLogProbsDto
{
    [JsonPropertyName("content")] public List<TokenLogProbDto>? Content { get; init; }
    /// <summary>Log-probabilities of the reasoning tokens (an extension; OpenAI has no reasoning text).</summary>
    [JsonPropertyName("reasoning_content")] public List<TokenLogProbDto>? ReasoningContent { get; init; }
}

internal sealed record TokenLogProbDto
{
    [JsonPropertyName("token")] public required string Token { get; init; }
    [JsonPropertyName("logprob")] public float LogProb { get; init; }
    [JsonPropertyName("bytes")] public required int[] Bytes { get; init; }
    [JsonPropertyName("top_logprobs")] public List<TopLogProbDto>? TopLogProbs { get; init; }
}

internal sealed record TopLogProbDto
{
    [JsonPropertyName("token")] public required string Token { get; init; }
    [JsonPropertyName("logprob")] public float LogProb { get; init; }
    [JsonPropertyName("bytes")] public required int[] Bytes { get; init; }
}

internal sealed record UsageDto
{
    [JsonPropertyName("prompt_tokens")] public int PromptTokens { get; init; }
    [JsonPropertyName("completion_tokens")] public int CompletionTokens { get; init; }
    [JsonPropertyName("total_tokens")] public int TotalTokens { get; init; }
    [JsonPropertyName("prompt_tokens_details")] public PromptTokensDetailsDto? PromptTokensDetails { get; init; }
    [JsonPropertyName("completion_tokens_details")] public CompletionTokensDetailsDto? CompletionTokensDetails { get; init; }
    /// <summary>DeepSeek's cache fields.</summary>
    [JsonPropertyName("prompt_cache_hit_tokens")] public int? PromptCacheHitTokens { get; init; }
    [JsonPropertyName("prompt_cache_miss_tokens")] public int? PromptCacheMissTokens { get; init; }
}

internal sealed record PromptTokensDetailsDto
{
    [JsonPropertyName("cached_tokens")] public int CachedTokens { get; init; }
}

internal sealed record CompletionTokensDetailsDto
{
    [JsonPropertyName("reasoning_tokens")] public int ReasoningTokens { get; init; }
}
