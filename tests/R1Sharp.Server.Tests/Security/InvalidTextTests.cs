using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Server.Tests.Security;

/// <summary>Text that is not Unicode (a lone surrogate escape, invalid UTF-8 bytes) anywhere in a request body is a
/// 400 naming the field, never a 500 (issue 13 item 2).</summary>
public sealed class InvalidTextTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "r1-texttest-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, true); } catch (DirectoryNotFoundException) { }
    }

    private Task<TestServer> Start() => TestServer.StartAsync(new ServerOptions
    {
        EngineFactory = _ => new ScriptedEngine { ContextLength = 4096, Script = [new GenerationText(TextChannel.Answer, "ok"), new GenerationFinished("stop", 1, 1, 0, 0)] },
        DataDir = _dataDir,
    });

    private static HttpContent Body(byte[] utf8)
    {
        var content = new ByteArrayContent(utf8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static async Task AssertBadRequestNaming(HttpResponseMessage response, string param)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(param, error.GetProperty("message").GetString());
    }

    // Escaped lone surrogates: the JSON is well formed, the text is not.
    [Theory]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"\ud800 hi"}]}""", "messages[0].content")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"ok"},{"role":"user","content":"x\udc00"}]}""", "messages[1].content")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":[{"type":"text","text":"a\ud83d"}]}]}""", "messages[0].content[0].text")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"stop":["\udfff"]}""", "stop[0]")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"stop":"\ud800\ud800"}""", "stop")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user\ud800","content":"hi"}]}""", "messages[0].role")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi","\ud800":1}]}""", "messages[0]")]
    [InlineData("/v1/completions", """{"prompt":"\ud800"}""", "prompt")]
    [InlineData("/v1/completions", """{"prompt":["x\ud800y"]}""", "prompt[0]")]
    [InlineData("/completions", """{"prompt":"ok","model":"\udc01"}""", "model")]
    [InlineData("/tokenize", """{"content":"\ud800"}""", "content")]
    [InlineData("/api/conversations", """{"title":"\ud800"}""", "title")]
    public async Task EscapedLoneSurrogateIs400NamingTheField(string path, string json, string param)
    {
        await using var server = await Start();
        using var response = await server.Http.PostAsync(path, Body(Encoding.UTF8.GetBytes(json)));
        await AssertBadRequestNaming(response, param);
    }

    // Raw bytes that are not UTF-8 inside a JSON string.
    [Theory]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"@@ hi"}]}""", "messages[0].content")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"stop":"@@"}""", "stop")]
    [InlineData("/v1/completions", """{"prompt":"a@@b"}""", "prompt")]
    [InlineData("/api/conversations", """{"title":"@@"}""", "title")]
    public async Task InvalidUtf8BytesAre400NamingTheField(string path, string json, string param)
    {
        await using var server = await Start();
        byte[] ascii = Encoding.ASCII.GetBytes(json);
        var bytes = new List<byte>();
        for (int i = 0; i < ascii.Length; i++)
        {
            if (ascii[i] == '@' && ascii[i + 1] == '@') { bytes.Add(0xff); bytes.Add(0xfe); i++; }
            else bytes.Add(ascii[i]);
        }
        using var response = await server.Http.PostAsync(path, Body([.. bytes]));
        await AssertBadRequestNaming(response, param);
    }

    [Fact]
    public async Task InvalidBytesOutsideStringsAndEncodedSurrogatesAre400()
    {
        await using var server = await Start();
        // A UTF-16 byte-order mark before the JSON: not JSON at all.
        using var bom = await server.Http.PostAsync("/v1/chat/completions", Body([0xff, 0xfe, .. Encoding.ASCII.GetBytes("""{"messages":[]}""")]));
        Assert.Equal(HttpStatusCode.BadRequest, bom.StatusCode);
        Assert.Equal("invalid_request_error", JsonDocument.Parse(await bom.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("type").GetString());
        // A surrogate written as raw UTF-8 (ED A0 80) is not valid UTF-8 either.
        byte[] head = Encoding.ASCII.GetBytes("""{"messages":[{"role":"user","content":""");
        byte[] tail = Encoding.ASCII.GetBytes("\"}]}");
        using var encoded = await server.Http.PostAsync("/v1/chat/completions", Body([.. head, 0xed, 0xa0, 0x80, .. tail]));
        await AssertBadRequestNaming(encoded, "messages[0].content");
    }

    [Fact]
    public async Task ValidTextIncludingSurrogatePairsAndEscapesStillWorks()
    {
        await using var server = await Start();
        string json = """{"messages":[{"role":"user","content":"caf\u00e9 \ud83d\ude00 😀 \n\t\"q\" \\ \u0000"}],"stop":["\ud83d\ude00"]}""";
        using var response = await server.Http.PostAsync("/v1/chat/completions", Body(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var tok = await server.Http.PostAsync("/tokenize", Body(Encoding.UTF8.GetBytes("""{"content":"\ud83d\ude00"}""")));
        // The scripted engine's tokens are UTF-16 code units: the pair arrives whole.
        Assert.Equal("""{"tokens":[55357,56832]}""", await tok.Content.ReadAsStringAsync());
    }
}
