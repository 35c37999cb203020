using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using R1Sharp.Server.Conversations;

namespace R1Sharp.Server.Tests.Security;

/// <summary>With --api-key, every route the application maps needs the key except /health and the page's files:
/// checked by enumerating the app's own endpoints, so a route added later is covered by this test too.</summary>
public sealed class ApiKeyAllowListTests : IDisposable
{
    private const string Key = "sekret-key";
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "r1-keytest-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, true); } catch (DirectoryNotFoundException) { }
    }

    // The independent truth: what may be open, from the issue ("only /health and the page's static files").
    private static bool IsOpen(string path) => path is "/health" or "/" || EmbeddedWebApp.Paths.Contains(path);

    private static IEnumerable<(string Method, string Path)> Requests(IEnumerable<Endpoint> endpoints)
    {
        foreach (var endpoint in endpoints.OfType<RouteEndpoint>())
        {
            string path = "/" + string.Join("/", endpoint.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
            {
                RoutePatternLiteralPart l => l.Content,
                RoutePatternSeparatorPart sep => sep.Content,
                RoutePatternParameterPart => "some-id",
                _ => throw new InvalidOperationException("unexpected route part " + p),
            }))));
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [HttpMethods.Get, HttpMethods.Post];
            foreach (var method in methods) yield return (method, path);
        }
    }

    private static HttpRequestMessage Request(string method, string path, string? key)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    [Fact]
    public async Task EveryRouteButHealthAndThePageNeedsTheKey()
    {
        var engine = new ScriptedEngine { Script = [new R1Sharp.Inference.Batching.GenerationFinished("stop", 1, 0, 0, 0)] };
        await using var server = await TestServer.StartAsync(new ServerOptions { EngineFactory = _ => engine, ApiKey = Key, DataDir = _dataDir });
        var requests = Requests(server.Endpoints).Distinct().ToList();
        // The routes this test must at least see (the bypass of issue 13 item 1 was on the ones without /v1).
        foreach (var expected in new[] { ("POST", "/chat/completions"), ("POST", "/completions"), ("GET", "/models"), ("POST", "/api/import"),
                     ("GET", "/health"), ("GET", "/"), ("POST", "/v1/chat/completions"), ("GET", "/metrics") })
            Assert.Contains(expected, requests);

        int open = 0, closed = 0;
        foreach (var (method, path) in requests)
        {
            using var anonymous = await server.Http.SendAsync(Request(method, path, null));
            using var wrongKey = await server.Http.SendAsync(Request(method, path, "not-the-key"));
            using var withKey = await server.Http.SendAsync(Request(method, path, Key));
            Assert.True(withKey.StatusCode != HttpStatusCode.Unauthorized, $"{method} {path} refuses the right key");
            if (IsOpen(path))
            {
                open++;
                Assert.True(anonymous.StatusCode != HttpStatusCode.Unauthorized, $"{method} {path} should be open");
                continue;
            }
            closed++;
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} answered {(int)anonymous.StatusCode} without the key");
            Assert.True(wrongKey.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} answered {(int)wrongKey.StatusCode} with a wrong key");
            var error = JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
            Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        }
        Assert.True(open >= 3 && closed >= 15, $"open {open}, closed {closed}");
    }

    [Fact]
    public async Task UnknownRoutesAndFilesNeedTheKeyToo()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { EngineFactory = _ => new ScriptedEngine(), ApiKey = Key, DataDir = _dataDir });
        foreach (var path in new[] { "/api/tags", "/api/chat", "/v2/anything", "/secret.txt", "/api/conversations/../export" })
        {
            using var get = await server.Http.GetAsync(path);
            Assert.True(get.StatusCode == HttpStatusCode.Unauthorized, $"GET {path}: {(int)get.StatusCode}");
        }
        // Static files stay open, with or without the key.
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/favicon.svg")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/")).StatusCode);
    }
}
