using System.Collections.Frozen;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace R1Sharp.Server.Conversations;

/// <summary>
/// Serves wwwroot/ from resources embedded in this assembly (the .csproj embeds wwwroot/** with logical names
/// "wwwroot/&lt;path&gt;"), so `r1 serve` works from any build or publish folder with nothing beside the binary.
/// </summary>
public static class EmbeddedWebApp
{
    private static readonly Lazy<EmbeddedFileSet> Files = new(() => new EmbeddedFileSet(typeof(EmbeddedWebApp).Assembly, "wwwroot/"));

    /// <summary>The embedded files (for tests): paths relative to wwwroot, '/'-separated.</summary>
    public static IFileProvider FileProvider => Files.Value;

    /// <summary>Serves "/" as index.html and every other embedded file with its content type, ETag and caching headers.</summary>
    public static WebApplication UseChatApp(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Path == "/" && HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) && context.Request.Path == "/")
                context.Request.Path = "/index.html";
            await next(context);
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = Files.Value,
            OnPrepareResponse = ctx =>
            {
                var headers = ctx.Context.Response.Headers;
                headers.CacheControl = "no-cache";            // revalidate with the ETag: a new build is picked up at once
                headers.XContentTypeOptions = "nosniff";
                if (ctx.File.Name.EndsWith(".html", StringComparison.Ordinal))
                {
                    // Defence in depth for the page: only its own scripts, styles, fonts and images; no inline script.
                    headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
                                                    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
                    headers["Referrer-Policy"] = "no-referrer";
                }
            },
        });
        return app;
    }

    private sealed class EmbeddedFileSet : IFileProvider
    {
        private readonly Assembly _assembly;
        private readonly FrozenDictionary<string, string> _resources;   // "/vendor/katex/katex.min.css" -> resource name
        private readonly DateTimeOffset _lastModified;

        public EmbeddedFileSet(Assembly assembly, string prefix)
        {
            _assembly = assembly;
            _resources = assembly.GetManifestResourceNames()
                .Select(n => (Name: n, Path: n.Replace('\\', '/')))
                .Where(x => x.Path.StartsWith(prefix, StringComparison.Ordinal))
                .ToFrozenDictionary(x => "/" + x.Path[prefix.Length..], x => x.Name, StringComparer.Ordinal);
            var location = assembly.Location;
            _lastModified = !string.IsNullOrEmpty(location) && File.Exists(location) ? File.GetLastWriteTimeUtc(location) : DateTimeOffset.UtcNow;
        }

        public IFileInfo GetFileInfo(string subpath)
        {
            var key = subpath.StartsWith('/') ? subpath : "/" + subpath;
            return _resources.TryGetValue(key, out var name)
                ? new ResourceFile(_assembly, name, Path.GetFileName(key), _lastModified)
                : new NotFoundFileInfo(subpath);
        }

        public IDirectoryContents GetDirectoryContents(string subpath) => NotFoundDirectoryContents.Singleton;

        public IChangeToken Watch(string filter) => NullChangeToken.Singleton;
    }

    private sealed class ResourceFile(Assembly assembly, string resource, string name, DateTimeOffset lastModified) : IFileInfo
    {
        private long? _length;
        public bool Exists => true;
        public bool IsDirectory => false;
        public DateTimeOffset LastModified => lastModified;
        public string Name => name;
        public string? PhysicalPath => null;

        public long Length
        {
            get
            {
                if (_length is null)
                {
                    using var s = CreateReadStream();
                    _length = s.Length;
                }
                return _length.Value;
            }
        }

        public Stream CreateReadStream() =>
            assembly.GetManifestResourceStream(resource) ?? throw new FileNotFoundException("embedded resource missing", resource);
    }
}
