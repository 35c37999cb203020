using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using R1Sharp.Server.Conversations;

namespace R1Sharp.Server.Tests.Browser;

/// <summary>A real Kestrel server on 127.0.0.1 (free port) with the chat app and its store under a data folder.</summary>
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

    public static async Task<ChatAppServer> StartAsync(string dataDir, ChatScript? script = null)
    {
        script ??= new ChatScript();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapConversations(dataDir);
        ScriptedChatApi.Map(app, script);
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ChatAppServer(app, url, script);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
