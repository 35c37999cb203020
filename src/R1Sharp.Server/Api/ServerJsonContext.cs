using System.Text.Json.Serialization;

namespace R1Sharp.Server.Api;

/// <summary>Source-generated JSON metadata for every request and response type (no reflection at run time).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = true, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(ModelListResponse))]
[JsonSerializable(typeof(ModelDto))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(TokenizeRequest))]
[JsonSerializable(typeof(TokenizeResponse))]
[JsonSerializable(typeof(TokenizePiecesResponse))]
[JsonSerializable(typeof(DetokenizeRequest))]
[JsonSerializable(typeof(DetokenizeResponse))]
[JsonSerializable(typeof(Ollama.OllamaChatRequest))]
[JsonSerializable(typeof(Ollama.OllamaGenerateRequest))]
[JsonSerializable(typeof(Ollama.OllamaChatResponse))]
[JsonSerializable(typeof(Ollama.OllamaGenerateResponse))]
[JsonSerializable(typeof(Ollama.OllamaModelRequest))]
[JsonSerializable(typeof(Ollama.OllamaModelList))]
[JsonSerializable(typeof(Ollama.OllamaShowResponse))]
[JsonSerializable(typeof(Ollama.OllamaVersion))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
