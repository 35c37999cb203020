using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using R1Sharp.Server.Api;

namespace R1Sharp.Server;

/// <summary>
/// The one gate in front of every endpoint, so that a route added later is covered without being listed anywhere:
/// <list type="number">
/// <item>Without --api-key the server answers only to local host names (localhost, *.localhost, the machine's name, IP
/// literals) and to the hosts of --cors-origin: a DNS-rebinding page (an attacker's name resolving to 127.0.0.1) is
/// otherwise "same origin" with the server and could read and change the chat history.</item>
/// <item>With --api-key every endpoint needs "Authorization: Bearer KEY" except those marked AllowAnonymous (/health
/// and the chat page's files).</item>
/// <item>A state-changing request (any method but GET, HEAD, OPTIONS, TRACE) must come from no origin (curl, SDKs),
/// the server's own origin or a --cors-origin one (Origin, and Sec-Fetch-Site when there is no Origin), and a body
/// must be application/json: browsers send text/plain and form bodies cross-site without a CORS preflight. Ollama's
/// model routes (<see cref="UntypedJsonBody"/>) read JSON under any content type, as Ollama does; they change no stored
/// data and the origin check still applies to them.</item>
/// </list>
/// </summary>
internal sealed class RequestGuard
{
    private readonly byte[]? _key;
    private readonly HashSet<string> _origins;
    private readonly HashSet<string> _hosts;

    public RequestGuard(ServerOptions options)
    {
        _key = string.IsNullOrEmpty(options.ApiKey) ? null : Encoding.UTF8.GetBytes(options.ApiKey);
        var origins = ParseOrigins(options.CorsOrigin);
        _origins = new HashSet<string>(origins, StringComparer.OrdinalIgnoreCase);
        _hosts = new HashSet<string>(origins.Select(o => new Uri(o).Host), StringComparer.OrdinalIgnoreCase) { "localhost", Environment.MachineName };
    }

    /// <summary>--cors-origin: one origin or several separated by commas, each "scheme://host[:port]".</summary>
    public static IReadOnlyList<string> ParseOrigins(string? corsOrigin)
    {
        var list = new List<string>();
        foreach (var item in (corsOrigin ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            list.Add(NormalizeOrigin(item) ?? throw new ArgumentException($"--cors-origin: '{item}' is not an origin such as https://app.example.com or http://localhost:5173"));
        return list;
    }

    // scheme://host[:port] in lower case without a default port, or null when not an http(s) origin.
    private static string? NormalizeOrigin(string origin) =>
        Uri.TryCreate(origin.TrimEnd('/'), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
            ? $"{uri.Scheme}://{uri.Authority}".ToLowerInvariant()
            : null;

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (_key is null) CheckHost(request);
        if (_key is not null && !HttpMethods.IsOptions(request.Method)
            && context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null)
            CheckKey(context);
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method)))
        {
            CheckOrigin(request);
            if (context.GetEndpoint()?.Metadata.GetMetadata<UntypedJsonBody>() is null) CheckContentType(context);
        }
        return next(context);
    }

    private void CheckHost(HttpRequest request)
    {
        string host = request.Host.Host;
        if (host.Length == 0 || _hosts.Contains(host) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || IPAddress.TryParse(host.Trim('[', ']'), out _))
            return;
        throw new ApiException(403, $"host '{host}' is not served: without --api-key only localhost and IP addresses are (a defence against DNS " +
            $"rebinding); behind a proxy, pass the public origin with --cors-origin https://{host}", "invalid_request_error", null, "host_not_allowed");
    }

    private void CheckKey(HttpContext context)
    {
        string header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        bool ok = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), _key);
        if (ok) return;
        throw new ApiException(401, header.Length == 0 ? "missing API key: send it as 'Authorization: Bearer KEY'" : "invalid API key",
            "invalid_request_error", null, "invalid_api_key");
    }

    private void CheckOrigin(HttpRequest request)
    {
        string? origin = request.Headers.Origin.Count > 0 ? request.Headers.Origin.ToString() : null;
        if (origin is not null && NormalizeOrigin(origin) is { } normalized && _origins.Contains(normalized)) return;
        string site = request.Headers["Sec-Fetch-Site"].ToString();
        bool crossSite = site is "cross-site" or "same-site";
        bool foreign = origin is not null
            && !(NormalizeOrigin(origin) is { } o && string.Equals(new Uri(o).Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
        if (!crossSite && !foreign) return;
        throw new ApiException(403, $"cross-origin request refused ({(origin is null ? "Sec-Fetch-Site: " + site : "Origin: " + origin)}): only the " +
            "server's own page, clients that send no Origin and --cors-origin origins may change data", "invalid_request_error", null, "cross_origin_forbidden");
    }

    private static void CheckContentType(HttpContext context)
    {
        var request = context.Request;
        bool hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? request.ContentLength > 0;
        string? contentType = request.ContentType;
        if (!hasBody && contentType is null) return;   // e.g. DELETE: nothing to type
        if (contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var media)
            && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            && (!media.Charset.HasValue || media.Charset.Length == 0 || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || media.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)))
            return;
        throw new ApiException(415, $"the request body must be JSON: send 'Content-Type: application/json' (got {(contentType is null ? "none" : $"'{contentType}'")})",
            "invalid_request_error", null, "unsupported_media_type");
    }
}
