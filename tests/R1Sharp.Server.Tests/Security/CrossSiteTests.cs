using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using R1Sharp.Inference.Batching;
using R1Sharp.Server.Conversations;

namespace R1Sharp.Server.Tests.Security;

/// <summary>State-changing requests need application/json and may come only from no origin (non-browser clients),
/// the server's own origin or a --cors-origin one (issue 13 item 3): a web page the user visits cannot write to the
/// chat history or use the model. Without --api-key, the server answers only to local host names (DNS rebinding).</summary>
public sealed class CrossSiteTests : IDisposable
{
    private const string ImportDocument = """{"format":"r1sharp.conversations.v1","exportedAt":0,"conversations":[{"id":"x","title":"injected","createdAt":1,"updatedAt":1,"settings":null,"messages":[{"id":"m","role":"user","content":"hello","reasoning":null,"meta":null,"createdAt":1,"updatedAt":1}]}]}""";
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "r1-xsite-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, true); } catch (DirectoryNotFoundException) { }
    }

    private Task<TestServer> Start(string? cors = null, string? apiKey = null) => TestServer.StartAsync(new ServerOptions
    {
        EngineFactory = _ => new ScriptedEngine { Script = [new GenerationText(TextChannel.Answer, "ok"), new GenerationFinished("stop", 1, 1, 0, 0)] },
        DataDir = _dataDir,
        CorsOrigin = cors,
        ApiKey = apiKey,
    });

    private static HttpRequestMessage Post(string path, string body, string? contentType, string? origin = null, string? fetchSite = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (fetchSite is not null) request.Headers.Add("Sec-Fetch-Site", fetchSite);
        return request;
    }

    private static async Task<JsonElement> Error(HttpResponseMessage response, HttpStatusCode status)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        return JsonDocument.Parse(text).RootElement.GetProperty("error");
    }

    private int StoredConversations() => new ConversationStore(_dataDir).List().Count;

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData(null)]
    public async Task ImportWithoutJsonContentTypeIs415AndWritesNothing(string? contentType)
    {
        await using var server = await Start();
        using var response = await server.Http.SendAsync(Post("/api/import", ImportDocument, contentType));
        var error = await Error(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("unsupported_media_type", error.GetProperty("code").GetString());
        Assert.Contains("application/json", error.GetProperty("message").GetString());
        Assert.Equal(0, StoredConversations());
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("/v1/completions", """{"prompt":"hi"}""")]
    [InlineData("/tokenize", """{"content":"hi"}""")]
    [InlineData("/api/conversations", """{"title":"t"}""")]
    public async Task EveryWriteRouteNeedsJson(string path, string body)
    {
        await using var server = await Start();
        using var plain = await server.Http.SendAsync(Post(path, body, "text/plain"));
        await Error(plain, HttpStatusCode.UnsupportedMediaType);
        using var json = await server.Http.SendAsync(Post(path, body, "application/json; charset=utf-8"));
        Assert.True(json.IsSuccessStatusCode, $"{path}: {(int)json.StatusCode} {await json.Content.ReadAsStringAsync()}");
    }

    [Theory]
    [InlineData("/api/chat", """{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":false}""")]
    [InlineData("/api/generate", """{"model":"m","prompt":"hi","stream":false}""")]
    public async Task OllamaModelRoutesReadJsonUnderAnyContentTypeButStillRefuseForeignOrigins(string path, string body)
    {
        await using var server = await Start();
        // what `curl -d '{...}'` sends, as in Ollama's own examples
        using var form = await server.Http.SendAsync(Post(path, body, "application/x-www-form-urlencoded"));
        Assert.True(form.IsSuccessStatusCode, $"{path}: {(int)form.StatusCode} {await form.Content.ReadAsStringAsync()}");
        Assert.Equal("ok", JsonDocument.Parse(await form.Content.ReadAsStringAsync()).RootElement
            .GetProperty(path == "/api/chat" ? "message" : "response") is var r && r.ValueKind == JsonValueKind.Object
            ? r.GetProperty("content").GetString() : r.GetString());
        using var foreign = await server.Http.SendAsync(Post(path, body, "text/plain", "https://evil.example"));
        Assert.Equal("cross_origin_forbidden", (await Error(foreign, HttpStatusCode.Forbidden)).GetProperty("code").GetString());
        using var crossSite = await server.Http.SendAsync(Post(path, body, null, null, "cross-site"));
        await Error(crossSite, HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("https://evil.example", null)]
    [InlineData("http://127.0.0.1.evil.example", null)]
    [InlineData("null", null)]
    [InlineData(null, "cross-site")]
    [InlineData(null, "same-site")]
    public async Task ForeignOriginsAre403AndWriteNothing(string? origin, string? fetchSite)
    {
        await using var server = await Start();
        using var import = await server.Http.SendAsync(Post("/api/import", ImportDocument, "application/json", origin, fetchSite));
        Assert.Equal("cross_origin_forbidden", (await Error(import, HttpStatusCode.Forbidden)).GetProperty("code").GetString());
        using var chat = await server.Http.SendAsync(Post("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""", "application/json", origin, fetchSite));
        await Error(chat, HttpStatusCode.Forbidden);
        Assert.Equal(0, StoredConversations());
    }

    [Fact]
    public async Task ForeignOriginCannotDeleteOrPatch()
    {
        await using var server = await Start();
        var store = new ConversationStore(_dataDir);
        var c = store.Create("mine", null);
        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/conversations/{c.Id}");
        delete.Headers.Add("Origin", "https://evil.example");
        await Error(await server.Http.SendAsync(delete), HttpStatusCode.Forbidden);
        var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/conversations/{c.Id}") { Content = new StringContent("""{"title":"pwned"}""", Encoding.UTF8, "application/json") };
        patch.Headers.Add("Origin", "https://evil.example");
        await Error(await server.Http.SendAsync(patch), HttpStatusCode.Forbidden);
        Assert.Equal("mine", store.Get(c.Id)!.Title);

        // The page's own DELETE: same origin, no body, no content type.
        var own = new HttpRequestMessage(HttpMethod.Delete, $"/api/conversations/{c.Id}");
        own.Headers.Add("Origin", server.BaseUrl);
        own.Headers.Add("Sec-Fetch-Site", "same-origin");
        Assert.Equal(HttpStatusCode.NoContent, (await server.Http.SendAsync(own)).StatusCode);
        Assert.Null(store.Get(c.Id));
    }

    [Fact]
    public async Task SameOriginNoOriginAndConfiguredOriginsMayWrite()
    {
        await using var server = await Start(cors: "https://app.example, http://localhost:5173/");
        var cases = new (string? Origin, string? Site)[]
        {
            (null, null),                              // curl, SDKs
            (server.BaseUrl, "same-origin"),           // the page itself
            ("https://app.example", "cross-site"),     // configured
            ("http://localhost:5173", "same-site"),    // configured (second of the list)
        };
        foreach (var (origin, site) in cases)
        {
            using var response = await server.Http.SendAsync(Post("/api/import", ImportDocument, "application/json", origin, site));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"origin {origin}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        Assert.Equal(cases.Length, StoredConversations());
        using var foreign = await server.Http.SendAsync(Post("/api/import", ImportDocument, "application/json", "https://app.example.evil"));
        await Error(foreign, HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("app.example")]
    [InlineData("ftp://app.example")]
    [InlineData("https://app.example/path")]
    [InlineData("https://ok.example,*")]
    public void AnOriginThatIsNotOneIsRefusedAtStartup(string cors)
    {
        var e = Assert.Throws<ArgumentException>(() => R1Server.Build(new ServerOptions { Port = 0, Verbose = false, CorsOrigin = cors }));
        Assert.StartsWith("--cors-origin: '", e.Message);
    }

    [Fact]
    public async Task CorsPreflightAnswersOnlyConfiguredOrigins()
    {
        await using var server = await Start(cors: "https://app.example");
        foreach (var (origin, allowed) in new[] { ("https://app.example", true), ("https://evil.example", false) })
        {
            var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/chat/completions");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "content-type,authorization");
            using var response = await server.Http.SendAsync(preflight);
            Assert.Equal(allowed, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) && values.Contains(origin));
        }
    }

    [Theory]
    [InlineData("evil.example:8080")]
    [InlineData("rebind.attacker.test")]
    public async Task WithoutKeyOnlyLocalHostNamesAreServed(string host)
    {
        await using var server = await Start();
        // DNS rebinding: an attacker's name resolving to 127.0.0.1 makes its page "same origin" with the server.
        var read = new HttpRequestMessage(HttpMethod.Get, "/api/export");
        read.Headers.Host = host;
        Assert.Equal("host_not_allowed", (await Error(await server.Http.SendAsync(read), HttpStatusCode.Forbidden)).GetProperty("code").GetString());
        var write = Post("/api/import", ImportDocument, "application/json", "http://" + host);
        write.Headers.Host = host;
        await Error(await server.Http.SendAsync(write), HttpStatusCode.Forbidden);
        Assert.Equal(0, StoredConversations());

        foreach (var local in new[] { "localhost", "LOCALHOST:1234", "chat.localhost", "127.0.0.1:9", "[::1]:8080" })
        {
            var ok = new HttpRequestMessage(HttpMethod.Get, "/api/conversations");
            ok.Headers.Host = local;
            Assert.True((await server.Http.SendAsync(ok)).StatusCode == HttpStatusCode.OK, local);
        }
    }

    [Fact]
    public async Task ConfiguredOriginHostAndKeyedServersAnswerAnyHost()
    {
        await using (var server = await Start(cors: "https://chat.example.org"))
        {
            var proxied = new HttpRequestMessage(HttpMethod.Get, "/api/conversations");
            proxied.Headers.Host = "chat.example.org";
            Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(proxied)).StatusCode);
        }
        await using (var keyed = await Start(apiKey: "k"))
        {
            var named = new HttpRequestMessage(HttpMethod.Get, "/api/conversations");
            named.Headers.Host = "my-box.lan:8080";
            named.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "k");
            Assert.Equal(HttpStatusCode.OK, (await keyed.Http.SendAsync(named)).StatusCode);
        }
    }
}
