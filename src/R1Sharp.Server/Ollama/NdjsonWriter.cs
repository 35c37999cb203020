using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using R1Sharp.Server.Api;

namespace R1Sharp.Server.Ollama;

/// <summary>Ollama's streaming: one JSON object per line (application/x-ndjson), flushed as it is written.</summary>
internal sealed class NdjsonWriter(HttpResponse response)
{
    private static readonly byte[] Newline = "\n"u8.ToArray();

    public async Task StartAsync(CancellationToken ct)
    {
        response.StatusCode = 200;
        response.ContentType = "application/x-ndjson";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(ct);
    }

    public async Task WriteAsync<T>(T value, JsonTypeInfo<T> info, CancellationToken ct)
    {
        await JsonSerializer.SerializeAsync(response.Body, value, info, ct);
        await response.Body.WriteAsync(Newline, ct);
        await response.Body.FlushAsync(ct);
    }

    /// <summary>A failure after the first line: one last line in the error shape.</summary>
    public Task ErrorAsync(Exception e, CancellationToken ct) =>
        WriteAsync(ApiSupport.StreamError(e), ServerJsonContext.Default.ErrorResponse, ct);
}
