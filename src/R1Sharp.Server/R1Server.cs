using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using R1Sharp.Inference.Batching;
using R1Sharp.Server.Api;
using R1Sharp.Server.Conversations;
using R1Sharp.Server.Ollama;

namespace R1Sharp.Server;

/// <summary>Builds the `r1 serve` web application: the OpenAI/DeepSeek API, health, metrics, tokenization and the
/// chat web app, with the engine loading in the background (endpoints answer 503 until it is ready).</summary>
public static class R1Server
{
    public static WebApplication Build(ServerOptions options)
    {
        var address = ParseHost(options.Host);
        if (!IPAddress.IsLoopback(address) && string.IsNullOrEmpty(options.ApiKey))
            throw new ArgumentException($"refusing to listen on {options.Host} (not a loopback address) without --api-key");
        if (options.Port is < 0 or > 65535) throw new ArgumentException($"invalid port {options.Port}");
        if (options.Parallel < 1) throw new ArgumentException("--parallel must be at least 1");
        var guard = new RequestGuard(options);   // validates --cors-origin

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (options.Verbose)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft", LogLevel.Error);
            // a failed start (a port in use) is reported once by the caller; the host would log it first with its stack trace
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.Listen(address, options.Port);
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<EngineHolder>();
        builder.Services.AddSingleton<MemoryReclaimer>();
        builder.Services.AddHostedService<EngineLoader>();
        var corsOrigins = RequestGuard.ParseOrigins(options.CorsOrigin);
        if (corsOrigins.Count > 0) builder.Services.AddCors();

        var app = builder.Build();
        app.Use(ApiSupport.HandleErrorsAsync);
        if (corsOrigins.Count > 0)
            app.UseCors(p => p.WithOrigins([.. corsOrigins]).AllowAnyHeader().AllowAnyMethod());
        app.Use(guard.InvokeAsync);   // host, API key, origin and content type for every endpoint, present and future
        app.MapHealth();
        app.MapModels();
        app.MapChatCompletions();
        app.MapCompletions();
        app.MapOllama();                                // Ollama's API under /api (tags, show, ps, version, chat, generate)
        app.MapTokenize();
        app.MapMetrics();
        app.MapConversations(options.DataDir);          // the chat web app at / and its conversation store at /api
        // No fallback route: an unknown path gets 404 and a known path with another method 405 from routing, both
        // written in the error shape by HandleErrorsAsync (and both behind the API key).
        return app;
    }

    /// <summary>The URL the started application listens on (the real port when <see cref="ServerOptions.Port"/> was 0).</summary>
    public static string BoundUrl(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        string url = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("the server is not started");
        return url.Replace("://[::]", "://[::1]").Replace("://0.0.0.0", "://127.0.0.1");
    }

    /// <summary>The engine holder of a built application (loading state, the engine once ready).</summary>
    public static EngineHolder Engine(WebApplication app) => app.Services.GetRequiredService<EngineHolder>();

    private static IPAddress ParseHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip)) return ip;
        throw new ArgumentException($"--host must be an IP address or 'localhost', not '{host}'");
    }

    /// <summary>Loads the engine on a background thread at startup so /health can answer "loading" meanwhile.</summary>
    private sealed class EngineLoader(ServerOptions options, EngineHolder holder, IHostApplicationLifetime lifetime, IServer server) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(() =>
            {
                if (!options.Verbose) return;
                string url = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? $"http://{options.Host}:{options.Port}";
                Console.WriteLine($"r1 serve: listening on {url} (OpenAI API at {url}/v1, {options.Parallel} slots{(options.ApiKey is null ? "" : ", API key required")})");
            });
            _ = Task.Run(() =>
            {
                try
                {
                    var factory = options.EngineFactory ?? EngineFactory.Load;
                    var engine = factory(options);
                    holder.Set(engine);
                    if (options.Verbose) Console.WriteLine($"r1 serve: model {engine.ModelName} ready (context {engine.ContextLength} tokens per slot)");
                }
                catch (Exception e)
                {
                    holder.Fail(e);
                    if (options.Verbose)
                    {
                        Console.Error.WriteLine($"r1 serve: cannot load the model: {e.Message}");
                        lifetime.StopApplication();
                    }
                }
            }, CancellationToken.None);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            holder.Dispose();
            return Task.CompletedTask;
        }
    }
}
