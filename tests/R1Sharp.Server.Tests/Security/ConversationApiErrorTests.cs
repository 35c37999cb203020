using System.Net;
using System.Text;
using System.Text.Json;
using R1Sharp.Server.Conversations;

namespace R1Sharp.Server.Tests.Security;

/// <summary>The conversation API answers every error in OpenAI's shape with the right status (issue 13 item 9):
/// no empty-bodied 400s, 415 (not "404 unknown route") for a wrong content type, 400 naming the field for bad JSON.</summary>
public sealed class ConversationApiErrorTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "r1-apierr-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, true); } catch (DirectoryNotFoundException) { }
    }

    private Task<TestServer> Start() => TestServer.StartAsync(new ServerOptions { EngineFactory = _ => new ScriptedEngine(), DataDir = _dataDir });

    private static async Task<JsonElement> Error(HttpResponseMessage response, HttpStatusCode status)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: '{text}'");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _));
        Assert.True(error.TryGetProperty("code", out _));
        return error;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task BadBodiesAre400NamingTheField()
    {
        await using var server = await Start();
        var c = new ConversationStore(_dataDir).Create("t", null);
        var cases = new (HttpMethod Method, string Path, string Body, string? Param)[]
        {
            (HttpMethod.Post, "/api/conversations", "{not json", null),
            (HttpMethod.Post, "/api/conversations", """{"title":5}""", "title"),
            (HttpMethod.Post, "/api/conversations", """{"settings":[1]}""", "settings"),
            (HttpMethod.Patch, $"/api/conversations/{c.Id}", """{"title":["x"]}""", "title"),
            (HttpMethod.Patch, $"/api/conversations/{c.Id}", "", null),
            (HttpMethod.Post, $"/api/conversations/{c.Id}/messages", """{"role":5,"content":"x"}""", "role"),
            (HttpMethod.Post, $"/api/conversations/{c.Id}/messages", """{"role":"wizard","content":"x"}""", "role"),
            (HttpMethod.Post, $"/api/conversations/{c.Id}/messages", """{"role":"user"}""", "content"),
            (HttpMethod.Post, "/api/import", """{"format":"other","conversations":[]}""", "format"),
            (HttpMethod.Post, "/api/import", """{"format":"r1sharp.conversations.v1","conversations":[{"title":"x","messages":[{"role":"user","content":7}]}]}""", "conversations[0].messages[0].content"),
        };
        foreach (var (method, path, body, param) in cases)
        {
            using var response = await server.Http.SendAsync(new HttpRequestMessage(method, path) { Content = Json(body) });
            var error = await Error(response, HttpStatusCode.BadRequest);
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
            if (param is not null) Assert.True(param == error.GetProperty("param").GetString(), $"{method} {path} {body}: {error}");
        }
        Assert.Empty(new ConversationStore(_dataDir).Get(c.Id)!.Messages);
    }

    [Fact]
    public async Task BadQueryValuesAndMissingThingsHaveTheShapeToo()
    {
        await using var server = await Start();
        var store = new ConversationStore(_dataDir);
        var c = store.Create("t", null);
        var m = store.Append(c.Id, new MessagePatch("user", "hi", null, null))!;
        var badQuery = await server.Http.DeleteAsync($"/api/conversations/{c.Id}/messages/{m.Id}?following=banana");
        Assert.Equal("following", (await Error(badQuery, HttpStatusCode.BadRequest)).GetProperty("param").GetString());
        Assert.Single(store.Get(c.Id)!.Messages);

        Assert.Equal("not_found", (await Error(await server.Http.GetAsync("/api/conversations/nope"), HttpStatusCode.NotFound)).GetProperty("code").GetString());
        await Error(await server.Http.DeleteAsync("/api/conversations/nope"), HttpStatusCode.NotFound);
        await Error(await server.Http.PatchAsync($"/api/conversations/{c.Id}/messages/nope", Json("""{"content":"x"}""")), HttpStatusCode.NotFound);
        await Error(await server.Http.GetAsync("/api/nothing.txt"), HttpStatusCode.NotFound);
        await Error(await server.Http.PutAsync("/api/conversations", Json("{}")), HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task WrongContentTypeIs415NotUnknownRoute()
    {
        await using var server = await Start();
        using var response = await server.Http.PostAsync("/api/conversations", new StringContent("""{"title":"x"}""", Encoding.UTF8, "text/plain"));
        var error = await Error(response, HttpStatusCode.UnsupportedMediaType);
        Assert.DoesNotContain("unknown route", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task OversizedBodyIs413InTheShape()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { EngineFactory = _ => new ScriptedEngine(), DataDir = _dataDir, MaxRequestBodyBytes = 4096 });
        using var response = await server.Http.PostAsync("/api/conversations", Json($$"""{"title":"{{new string('x', 10_000)}}"}"""));
        Assert.Equal("request_too_large", (await Error(response, HttpStatusCode.RequestEntityTooLarge)).GetProperty("code").GetString());
    }
}
