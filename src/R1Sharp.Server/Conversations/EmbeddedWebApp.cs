using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace R1Sharp.Server.Conversations;

/// <summary>
/// Serves wwwroot/ from resources embedded in this assembly (the .csproj embeds wwwroot/** with logical names
/// "wwwroot/&lt;path&gt;"), so `r1 serve` works from any build or publish folder with nothing beside the binary.
/// Each file is an endpoint of its own (GET and HEAD), so a fallback route of the host never shadows it.
/// </summary>
internal static class EmbeddedWebApp
{
    private const string Prefix = "wwwroot/";
    private static readonly Lazy<FrozenDictionary<string, WebFile>> Files = new(Load);

    /// <summary>Request paths ("/index.html", "/vendor/katex/katex.min.css", ...) of the embedded files.</summary>
    public static IReadOnlyCollection<string> Paths => Files.Value.Keys;

    // The page may load only its own scripts, styles, fonts and images, with no inline script: a second line of
    // defence should a message's markup ever get past the renderer.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    /// <summary>Maps "/" (index.html) and every embedded file, open without the API key (the page asks for it).</summary>
    public static IEndpointRouteBuilder MapChatApp(this IEndpointRouteBuilder routes)
    {
        foreach (var (path, file) in Files.Value)
        {
            routes.MapMethods(path, [HttpMethods.Get, HttpMethods.Head], (HttpContext context) => Serve(context, file)).ExcludeFromDescription().AllowAnonymous();
            if (path == "/index.html")
                routes.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], (HttpContext context) => Serve(context, file)).ExcludeFromDescription().AllowAnonymous();
        }
        return routes;
    }

    private static Task Serve(HttpContext context, WebFile file)
    {
        var response = context.Response;
        response.Headers.ETag = file.ETag;
        response.Headers.CacheControl = "no-cache";          // revalidate with the ETag: a new build shows at once
        response.Headers.XContentTypeOptions = "nosniff";
        if (file.IsHtml)
        {
            response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            response.Headers["Referrer-Policy"] = "no-referrer";
            response.Headers.XFrameOptions = "DENY";
        }
        if (context.Request.Headers.IfNoneMatch.ToString().Split(',').Any(t => t.Trim() == file.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        response.ContentType = file.ContentType;
        response.ContentLength = file.Bytes.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(file.Bytes).AsTask();
    }

    private sealed record WebFile(byte[] Bytes, string ContentType, string ETag, bool IsHtml);

    private static FrozenDictionary<string, WebFile> Load()
    {
        var assembly = typeof(EmbeddedWebApp).Assembly;
        var types = new FileExtensionContentTypeProvider();
        var files = new Dictionary<string, WebFile>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var path = name.Replace('\\', '/');
            if (!path.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            var requestPath = "/" + path[Prefix.Length..];
            if (!types.TryGetContentType(requestPath, out var type)) type = "application/octet-stream";
            if (type.StartsWith("text/", StringComparison.Ordinal) || type is "application/json" or "image/svg+xml")
                type += "; charset=utf-8";
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 12)) + "\"";
            files[requestPath] = new WebFile(bytes, type, etag, requestPath.EndsWith(".html", StringComparison.Ordinal));
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
