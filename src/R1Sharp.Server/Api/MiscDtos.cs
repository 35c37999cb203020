using System.Text.Json.Serialization;

namespace R1Sharp.Server.Api;

public sealed record ModelListResponse(
    [property: JsonPropertyName("data")] List<ModelDto> Data)
{
    [JsonPropertyName("object")] public string Object { get; init; } = "list";
}

public sealed record ModelDto(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy)
{
    [JsonPropertyName("object")] public string Object { get; init; } = "model";
    [JsonPropertyName("meta")] public ModelMetaDto? Meta { get; init; }
}

public sealed record ModelMetaDto(
    [property: JsonPropertyName("n_ctx")] int ContextLength,
    [property: JsonPropertyName("n_parallel")] int Parallel);

public sealed record HealthResponse([property: JsonPropertyName("status")] string Status);

/// <summary>llama.cpp server's POST /tokenize body.</summary>
public sealed record TokenizeRequest
{
    [JsonPropertyName("content")] public string? Content { get; init; }
    [JsonPropertyName("add_special")] public bool? AddSpecial { get; init; }
    [JsonPropertyName("parse_special")] public bool? ParseSpecial { get; init; }
    [JsonPropertyName("with_pieces")] public bool? WithPieces { get; init; }
}

public sealed record TokenizeResponse([property: JsonPropertyName("tokens")] List<int> Tokens);

/// <summary>with_pieces: {"tokens": [{"id", "piece"}]}.</summary>
public sealed record TokenizePiecesResponse([property: JsonPropertyName("tokens")] List<TokenPieceDto> Tokens);

public sealed record TokenPieceDto(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("piece")] string Piece);

public sealed record DetokenizeRequest
{
    [JsonPropertyName("tokens")] public List<int>? Tokens { get; init; }
}

public sealed record DetokenizeResponse([property: JsonPropertyName("content")] string Content);
