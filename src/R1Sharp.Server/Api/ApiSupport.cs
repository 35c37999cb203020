using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using R1Sharp.Server.Conversations;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Server.Api;

/// <summary>Request reading, engine access and error writing shared by the endpoints.</summary>
internal static class ApiSupport
{
    /// <summary>Reads the body as JSON of type T: 413 over the body limit, 400 naming the field for malformed JSON, a
    /// wrong type or text that is not Unicode (so every string handed on is valid UTF-16).</summary>
    public static async Task<T> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> info) where T : class
    {
        var body = await ReadBodyAsync(context);
        if (JsonTextValidator.FindInvalidText(body.Span, info.Options) is { } path)
        {
            string what = path.Length > 0 ? $"'{path}'" : "the request body";
            throw ApiException.BadRequest($"{what} is not valid Unicode text (invalid UTF-8 or an unpaired surrogate)", path.Length > 0 ? path : null);
        }
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(body.Span, info);
        }
        catch (JsonException e)
        {
            string? param = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
            string what = param is null ? "the request body is not valid JSON" : $"invalid value for '{param}'";
            throw ApiException.BadRequest($"{what}: {e.Message}", param);
        }
        return value ?? throw ApiException.BadRequest("the request body must be a JSON object");
    }

    // The whole body, in one array sized by Content-Length when given (the body limit is checked first). A large body
    // has its memory given back once the request is over (MemoryReclaimer).
    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext context)
    {
        var request = context.Request;
        long read = 0;
        try
        {
            if (request.ContentLength is long length)
            {
                long? limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
                if (length > limit) throw TooLarge();
                read = length;
                var buffer = new byte[length];
                await request.Body.ReadExactlyAsync(buffer, context.RequestAborted);
                return buffer;
            }
            var copy = new MemoryStream();
            try
            {
                await request.Body.CopyToAsync(copy, context.RequestAborted);
            }
            finally
            {
                read = copy.Length;
            }
            return copy.GetBuffer().AsMemory(0, (int)copy.Length);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge();
        }
        catch (EndOfStreamException)
        {
            throw ApiException.BadRequest("the request body ended before its Content-Length");
        }
        finally
        {
            if (read >= MemoryReclaimer.LargeBodyBytes && context.RequestServices.GetService<MemoryReclaimer>() is { } reclaimer)
                context.Response.OnCompleted(() =>
                {
                    reclaimer.LargeRequestEnded();
                    return Task.CompletedTask;
                });
        }
    }

    /// <summary>400 context_length_exceeded naming the field that holds the prompt.</summary>
    public static ApiException ContextExceeded(ContextLengthExceededException e, string? param) =>
        ApiException.BadRequest(e.Message, param, "context_length_exceeded");

    private static ApiException TooLarge() =>
        new(413, "the request body is too large", "invalid_request_error", null, "request_too_large");

    public static IGenerationEngine RequireEngine(HttpContext context)
    {
        var holder = context.RequestServices.GetRequiredService<EngineHolder>();
        if (holder.Engine is { } engine) return engine;
        if (holder.LoadError is { } error)
            throw new ApiException(503, "the model failed to load: " + error.Message, "server_error", null, "model_load_failed");
        throw new ApiException(503, "the model is loading, try again shortly", "server_error", null, "model_loading", TimeSpan.FromSeconds(5));
    }

    public static async Task WriteErrorAsync(HttpContext context, ApiException e)
    {
        if (context.Response.HasStarted) return;
        context.Response.Clear();
        context.Response.StatusCode = e.Status;
        if (e.Status == 401) context.Response.Headers.WWWAuthenticate = "Bearer";
        if (e.RetryAfter is { } retry)
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var body = new ErrorResponse(new ErrorBody(e.Message, e.Type, e.Param, e.Code ?? DefaultCode(e.Status)));
        await context.Response.WriteAsJsonAsync(body, ServerJsonContext.Default.ErrorResponse, contentType: "application/json");
    }

    private static string? DefaultCode(int status) => status switch
    {
        401 => "invalid_api_key",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "request_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limit_exceeded",
        _ => null,
    };

    /// <summary>Maps every exception, and every error status a handler or the framework set without a body, to an
    /// OpenAI-shaped error; nothing the client sends escapes as a 500 with details.</summary>
    public static async Task HandleErrorsAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
            if (context.Response is { HasStarted: false, StatusCode: >= 400 } response)
                await WriteErrorAsync(context, new ApiException(response.StatusCode, StatusMessage(context)));
        }
        catch (ApiException e)
        {
            await WriteErrorAsync(context, e);
        }
        catch (ConversationStoreException e)
        {
            await WriteErrorAsync(context, ApiException.BadRequest(e.Message, e.Param));
        }
        catch (BadHttpRequestException e)
        {
            int status = e.StatusCode is >= 400 and < 500 ? e.StatusCode : 400;
            await WriteErrorAsync(context, new ApiException(status, status == 413 ? "the request body is too large" : e.Message));
        }
        catch (EngineOverloadedException e)
        {
            await WriteErrorAsync(context, new ApiException(429, e.Message, "rate_limit_error", null, "rate_limit_exceeded", e.RetryAfter));
        }
        catch (ContextLengthExceededException e)
        {
            await WriteErrorAsync(context, ContextExceeded(e, null));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e)
        {
            context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("R1Sharp.Server").LogError(e, "request failed");
            await WriteErrorAsync(context, new ApiException(500, "internal server error", "server_error"));
        }
    }

    private static string StatusMessage(HttpContext context) => context.Response.StatusCode switch
    {
        404 => $"unknown route: {context.Request.Method} {context.Request.Path}",
        405 => $"method {context.Request.Method} is not allowed on {context.Request.Path}",
        415 => "the request body must be JSON (Content-Type: application/json)",
        _ => $"the request failed ({context.Response.StatusCode})",
    };

    /// <summary>The in-stream error report of every streaming endpoint (SSE and NDJSON): the one error shape.</summary>
    public static ErrorResponse StreamError(Exception e) =>
        new(new ErrorBody("generation failed: " + e.Message, "server_error", null, null));

    public static long UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}
