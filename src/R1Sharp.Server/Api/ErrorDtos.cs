using System.Text.Json.Serialization;

namespace R1Sharp.Server.Api;

/// <summary>OpenAI's error body: {"error": {"message", "type", "param", "code"}}.</summary>
internal sealed record ErrorResponse([property: JsonPropertyName("error")] ErrorBody Error);

internal sealed record ErrorBody(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    [property: JsonPropertyName("code"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Code);

/// <summary>A request failure that becomes an OpenAI-shaped error response.</summary>
internal sealed class ApiException(int status, string message, string type = "invalid_request_error", string? param = null,
    string? code = null, TimeSpan? retryAfter = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public static ApiException BadRequest(string message, string? param = null, string? code = null) =>
        new(400, message, "invalid_request_error", param, code);
}
