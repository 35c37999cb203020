using System.ClientModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenAI;
using OpenAI.Chat;

namespace R1Sharp.Server.Tests;

/// <summary>A real server (Kestrel) on 127.0.0.1 with a free port, for one test.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    public string BaseUrl { get; }
    public HttpClient Http { get; }

    private TestServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(120) };
    }

    public EngineHolder Engine => R1Server.Engine(_app);

    /// <summary>Every endpoint the application maps (routes, static files, fallback).</summary>
    public IReadOnlyList<Endpoint> Endpoints => ((IEndpointRouteBuilder)_app).DataSources.SelectMany(d => d.Endpoints).ToList();

    public static async Task<TestServer> StartAsync(ServerOptions options, bool waitForEngine = true)
    {
        var app = R1Server.Build(options with { Host = "127.0.0.1", Port = 0, Verbose = false });
        await app.StartAsync();
        var server = new TestServer(app, R1Server.BoundUrl(app));
        if (waitForEngine)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (R1Server.Engine(app).IsLoading && DateTime.UtcNow < deadline) await Task.Delay(20);
            if (R1Server.Engine(app).LoadError is { } e) throw new InvalidOperationException("engine failed to load", e);
        }
        return server;
    }

    public ChatClient Chat(string apiKey = "unused") =>
        new("test-model", new ApiKeyCredential(apiKey), new OpenAIClientOptions { Endpoint = new Uri(BaseUrl + "/v1"), NetworkTimeout = TimeSpan.FromSeconds(120) });

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
