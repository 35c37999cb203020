using System.Text.Json;
using System.Text.Json.Serialization;
using R1Sharp.Server.Api;

namespace R1Sharp.Server.Ollama;

/// <summary>POST /api/chat body (Ollama's API).</summary>
public sealed record OllamaChatRequest
{
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("messages")] public List<OllamaMessage>? Messages { get; init; }
    [JsonPropertyName("tools")] public JsonElement? Tools { get; init; }
    /// <summary>"json" or a JSON schema.</summary>
    [JsonPropertyName("format")] public JsonElement? Format { get; init; }
    [JsonPropertyName("options")] public OllamaOptions? Options { get; init; }
    /// <summary>Default true: NDJSON, one object per line.</summary>
    [JsonPropertyName("stream")] public bool? Stream { get; init; }
    /// <summary>Accepted (a duration string or seconds); the one model stays loaded.</summary>
    [JsonPropertyName("keep_alive")] public JsonElement? KeepAlive { get; init; }
    /// <summary>true, false, or "low" / "medium" / "high" (the thinking budget).</summary>
    [JsonPropertyName("think")] public JsonElement? Think { get; init; }
}

/// <summary>POST /api/generate body.</summary>
public sealed record OllamaGenerateRequest
{
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("prompt")] public string? Prompt { get; init; }
    [JsonPropertyName("system")] public string? System { get; init; }
    /// <summary>true: the prompt goes to the model as it is (no chat template, no thought split).</summary>
    [JsonPropertyName("raw")] public bool? Raw { get; init; }
    [JsonPropertyName("format")] public JsonElement? Format { get; init; }
    [JsonPropertyName("options")] public OllamaOptions? Options { get; init; }
    [JsonPropertyName("stream")] public bool? Stream { get; init; }
    [JsonPropertyName("keep_alive")] public JsonElement? KeepAlive { get; init; }
    [JsonPropertyName("think")] public JsonElement? Think { get; init; }
}

/// <summary>Ollama's model options that apply here (others, such as num_thread or mirostat, are ignored).</summary>
public sealed record OllamaOptions
{
    [JsonPropertyName("temperature")] public float? Temperature { get; init; }
    [JsonPropertyName("top_p")] public float? TopP { get; init; }
    [JsonPropertyName("top_k")] public int? TopK { get; init; }
    [JsonPropertyName("min_p")] public float? MinP { get; init; }
    /// <summary>Tokens to generate; -1 (or -2): no limit but the context.</summary>
    [JsonPropertyName("num_predict")] public int? NumPredict { get; init; }
    /// <summary>Context size asked for: accepted; the server's context per slot (--ctx-size) is the limit.</summary>
    [JsonPropertyName("num_ctx")] public int? NumCtx { get; init; }
    [JsonPropertyName("seed")] public long? Seed { get; init; }
    [JsonPropertyName("stop")] public JsonElement? Stop { get; init; }
    [JsonPropertyName("repeat_penalty")] public float? RepeatPenalty { get; init; }
    [JsonPropertyName("presence_penalty")] public float? PresencePenalty { get; init; }
    [JsonPropertyName("frequency_penalty")] public float? FrequencyPenalty { get; init; }
}

public sealed record OllamaMessage
{
    [JsonPropertyName("role")] public string? Role { get; init; }
    [JsonPropertyName("content")] public string? Content { get; init; }
    [JsonPropertyName("thinking")] public string? Thinking { get; init; }
    [JsonPropertyName("tool_calls")] public List<OllamaToolCall>? ToolCalls { get; init; }
    /// <summary>On a "tool" message: the tool whose result this is.</summary>
    [JsonPropertyName("tool_name")] public string? ToolName { get; init; }
    [JsonPropertyName("images")] public List<string>? Images { get; init; }
}

public sealed record OllamaToolCall
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("function")] public OllamaFunctionCall? Function { get; init; }
}

public sealed record OllamaFunctionCall
{
    [JsonPropertyName("index")] public int? Index { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    /// <summary>An object (Ollama does not write arguments as a string).</summary>
    [JsonPropertyName("arguments")] public JsonElement? Arguments { get; init; }
}

/// <summary>A line of /api/chat's answer: a piece of the message, or (done) the last line with the statistics.</summary>
public sealed record OllamaChatResponse : OllamaDoneFields
{
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("created_at")] public required string CreatedAt { get; init; }
    [JsonPropertyName("message")] public required OllamaMessage Message { get; init; }
    [JsonPropertyName("done")] public bool Done { get; init; }
}

/// <summary>A line of /api/generate's answer.</summary>
public sealed record OllamaGenerateResponse : OllamaDoneFields
{
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("created_at")] public required string CreatedAt { get; init; }
    [JsonPropertyName("response")] public required string Response { get; init; }
    [JsonPropertyName("thinking")] public string? Thinking { get; init; }
    [JsonPropertyName("done")] public bool Done { get; init; }
    /// <summary>The prompt's and the answer's token ids.</summary>
    [JsonPropertyName("context")] public List<int>? Context { get; init; }
}

/// <summary>The last line's fields: why it ended, token counts, durations in nanoseconds.</summary>
public abstract record OllamaDoneFields
{
    [JsonPropertyName("done_reason")] public string? DoneReason { get; init; }
    [JsonPropertyName("total_duration")] public long? TotalDuration { get; init; }
    [JsonPropertyName("load_duration")] public long? LoadDuration { get; init; }
    [JsonPropertyName("prompt_eval_count")] public int? PromptEvalCount { get; init; }
    [JsonPropertyName("prompt_eval_duration")] public long? PromptEvalDuration { get; init; }
    [JsonPropertyName("eval_count")] public int? EvalCount { get; init; }
    [JsonPropertyName("eval_duration")] public long? EvalDuration { get; init; }
}

public sealed record OllamaModelRequest
{
    [JsonPropertyName("model")] public string? Model { get; init; }
    /// <summary>The older name of "model".</summary>
    [JsonPropertyName("name")] public string? Name { get; init; }
}

public sealed record OllamaModelDetails
{
    [JsonPropertyName("parent_model")] public string ParentModel { get; init; } = "";
    [JsonPropertyName("format")] public string Format { get; init; } = "gguf";
    [JsonPropertyName("family")] public required string Family { get; init; }
    [JsonPropertyName("families")] public required List<string> Families { get; init; }
    [JsonPropertyName("parameter_size")] public required string ParameterSize { get; init; }
    [JsonPropertyName("quantization_level")] public required string QuantizationLevel { get; init; }
}

public sealed record OllamaModelEntry
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("modified_at")] public string? ModifiedAt { get; init; }
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("digest")] public required string Digest { get; init; }
    [JsonPropertyName("details")] public required OllamaModelDetails Details { get; init; }
    /// <summary>/api/ps only.</summary>
    [JsonPropertyName("expires_at")] public string? ExpiresAt { get; init; }
    [JsonPropertyName("size_vram")] public long? SizeVram { get; init; }
    [JsonPropertyName("context_length")] public int? ContextLength { get; init; }
}

public sealed record OllamaModelList([property: JsonPropertyName("models")] List<OllamaModelEntry> Models);

public sealed record OllamaShowResponse
{
    [JsonPropertyName("modelfile")] public required string Modelfile { get; init; }
    [JsonPropertyName("parameters")] public required string Parameters { get; init; }
    [JsonPropertyName("template")] public required string Template { get; init; }
    [JsonPropertyName("details")] public required OllamaModelDetails Details { get; init; }
    [JsonPropertyName("model_info")] public required Dictionary<string, JsonElement> ModelInfo { get; init; }
    [JsonPropertyName("capabilities")] public required List<string> Capabilities { get; init; }
    [JsonPropertyName("modified_at")] public string? ModifiedAt { get; init; }
}

public sealed record OllamaVersion([property: JsonPropertyName("version")] string Version);

/// <summary>Ollama's options as the shared request mapping reads them.</summary>
internal sealed record OllamaSampling(string? Model, OllamaOptions? Options, bool? Stream) : ISamplingRequest
{
    public float? Temperature => Options?.Temperature;
    public float? TopP => Options?.TopP;
    public int? TopK => Options?.TopK;
    public float? MinP => Options?.MinP;
    public long? Seed => Options?.Seed;
    /// <summary>num_predict; -1 and -2 (and 0) mean no limit but the context.</summary>
    public int? MaxTokens => Options?.NumPredict is int n && n > 0 ? n : null;
    public JsonElement? Stop => Options?.Stop;
    public float? PresencePenalty => Options?.PresencePenalty;
    public float? FrequencyPenalty => Options?.FrequencyPenalty;
    public float? RepeatPenalty => Options?.RepeatPenalty;
    public bool? IgnoreEos => null;
    public int? N => 1;
    public StreamOptionsDto? StreamOptions => null;
}
