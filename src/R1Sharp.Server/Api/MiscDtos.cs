using System.Text.Json.Serialization;

namespace R1Sharp.Server.Api;

internal sealed record ModelListResponse(
    [property: JsonPropertyName("data")] List<ModelDto> Data)
{
    [JsonPropertyName("object")] public string Object { get; init; } = "list";
}

internal sealed record ModelDto(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy)
{
    [JsonPropertyName("object")] public string Object { get; init; } = "model";
    [JsonPropertyName("meta")] public ModelMetaDto? Meta { get; init; }
}

internal sealed record ModelMetaDto(
    [property: JsonPropertyName("n_ctx")] int ContextLength,
    [property: JsonPropertyName("n_parallel")] int Parallel);

internal sealed record HealthResponse([property: JsonPropertyName("status")] string Status);

/// <summary>llama.cpp server's POST /tokenize body.</summary>
internal sealed record TokenizeRequest
{
    [JsonPropertyName("content")] public string? Content { get; init; }
    [JsonPropertyName("add_special")] public bool? AddSpecial { get; init; }
    [JsonPropertyName("parse_special")] public bool? ParseSpecial { get; init; }
    [JsonPropertyName("with_pieces")] public bool? WithPieces { get; init; }
}

internal sealed record TokenizeResponse([property: JsonPropertyName("tokens")] List<int> Tokens);

/// <summary>with_pieces: {"tokens": [{"id", "piece"}]}.</summary>
internal sealed record TokenizePiecesResponse([property: JsonPropertyName("tokens")] List<TokenPieceDto> Tokens);

internal sealed record TokenPieceDto(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("piece")] string Piece);

internal sealed record DetokenizeRequest
{
    [JsonPropertyName("tokens")] public List<int>? Tokens { get; init; }
}

internal sealed record DetokenizeResponse([property: JsonPropertyName("content")] string Content);
