using Microsoft.AspNetCore.Builder;

namespace R1Sharp.Server.Tests.Browser;

/// <summary>
/// `r1 serve`'s application (R1Server.Build: the API, the chat app, the SQLite store under the data folder) on
/// 127.0.0.1 with a free port, with the scripted engine in place of a model.
/// </summary>
public sealed class ChatAppServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    public string BaseUrl { get; }
    public ChatScript Script { get; }

    private ChatAppServer(WebApplication app, string baseUrl, ChatScript script)
    {
        _app = app;
        BaseUrl = baseUrl;
        Script = script;
    }

    public static async Task<ChatAppServer> StartAsync(string dataDir, ChatScript? script = null, string? apiKey = null)
    {
        script ??= new ChatScript();
        var app = R1Server.Build(new ServerOptions
        {
            Host = "127.0.0.1", Port = 0, Verbose = false, DataDir = dataDir, ApiKey = apiKey,
            EngineFactory = _ => new PacedScriptEngine(script),
        });
        await app.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (R1Server.Engine(app).IsLoading && DateTime.UtcNow < deadline) await Task.Delay(10);
        return new ChatAppServer(app, R1Server.BoundUrl(app), script);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
