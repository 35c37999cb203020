using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace R1Sharp.Server.Api;

/// <summary>Server-sent events as OpenAI streams them: "data: {json}\n\n" per chunk, "data: [DONE]\n\n" at the end.</summary>
internal sealed class SseWriter(HttpResponse response)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public async Task StartAsync(CancellationToken ct)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(ct);
    }

    public async Task WriteAsync<T>(T value, JsonTypeInfo<T> info, CancellationToken ct)
    {
        await response.Body.WriteAsync(DataPrefix, ct);
        await JsonSerializer.SerializeAsync(response.Body, value, info, ct);
        await response.Body.WriteAsync(EventEnd, ct);
        await response.Body.FlushAsync(ct);
    }

    /// <summary>A failure after the headers went out: reported in-band in the error shape, as OpenAI does, then [DONE].</summary>
    public async Task ErrorAsync(Exception e, CancellationToken ct)
    {
        await WriteAsync(ApiSupport.StreamError(e), ServerJsonContext.Default.ErrorResponse, ct);
        await DoneAsync(ct);
    }

    public async Task DoneAsync(CancellationToken ct)
    {
        await response.Body.WriteAsync(Done, ct);
        await response.Body.FlushAsync(ct);
    }
}
