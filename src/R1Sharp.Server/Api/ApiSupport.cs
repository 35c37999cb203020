using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Server.Api;

/// <summary>Request reading, engine access and error writing shared by the endpoints.</summary>
internal static class ApiSupport
{
    public static async Task<T> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> info) where T : class
    {
        T? value;
        try
        {
            value = await JsonSerializer.DeserializeAsync(context.Request.Body, info, context.RequestAborted);
        }
        catch (JsonException e)
        {
            string? param = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
            string what = param is null ? "the request body is not valid JSON" : $"invalid value for '{param}'";
            throw ApiException.BadRequest($"{what}: {e.Message}", param);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ApiException(413, "the request body is too large", "invalid_request_error", null, "request_too_large");
        }
        return value ?? throw ApiException.BadRequest("the request body must be a JSON object");
    }

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
        if (e.RetryAfter is { } retry)
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var body = new ErrorResponse(new ErrorBody(e.Message, e.Type, e.Param, e.Code ?? DefaultCode(e.Status)));
        await context.Response.WriteAsJsonAsync(body, ServerJsonContext.Default.ErrorResponse, contentType: "application/json");
    }

    private static string? DefaultCode(int status) => status switch
    {
        401 => "invalid_api_key",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "request_too_large",
        429 => "rate_limit_exceeded",
        _ => null,
    };

    /// <summary>Maps every exception to an OpenAI-shaped error; nothing the client sends escapes as a 500 with details.</summary>
    public static async Task HandleErrorsAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
            if (context.Response is { HasStarted: false, StatusCode: 405 })
                await WriteErrorAsync(context, new ApiException(405, $"method {context.Request.Method} is not allowed on {context.Request.Path}"));
        }
        catch (ApiException e)
        {
            await WriteErrorAsync(context, e);
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
            await WriteErrorAsync(context, ApiException.BadRequest(e.Message, "messages", "context_length_exceeded"));
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

    /// <summary>Authorization: Bearer KEY (constant-time comparison) on the API routes when a key is configured.</summary>
    public static Func<HttpContext, RequestDelegate, Task> RequireApiKey(string apiKey)
    {
        byte[] expected = System.Text.Encoding.UTF8.GetBytes(apiKey);
        return async (context, next) =>
        {
            var path = context.Request.Path;
            bool protectedPath = path.StartsWithSegments("/v1") || path.StartsWithSegments("/tokenize")
                || path.StartsWithSegments("/detokenize") || path.StartsWithSegments("/metrics");
            if (protectedPath && !HttpMethods.IsOptions(context.Request.Method))
            {
                string header = context.Request.Headers.Authorization.ToString();
                const string scheme = "Bearer ";
                bool ok = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
                    && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), expected);
                if (!ok)
                {
                    string message = header.Length == 0
                        ? "missing API key: send it as 'Authorization: Bearer KEY'"
                        : "invalid API key";
                    await WriteErrorAsync(context, new ApiException(401, message, "invalid_request_error", null, "invalid_api_key"));
                    return;
                }
            }
            await next(context);
        };
    }

    public static long UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}
