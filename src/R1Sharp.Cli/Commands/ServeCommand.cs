using System.CommandLine;
using R1Sharp.Inference;
using R1Sharp.Server;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 serve`: the OpenAI/DeepSeek-compatible reasoning API with continuous batching, and the chat web app.</summary>
internal sealed class ServeCommand : ICliCommand
{
    public int Order => 20;

    public Command Build()
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF model file (default: the bundled model in models/)" };
        var host = new Option<string>("--host") { Description = "Address to listen on (non-loopback needs --api-key)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port", DefaultValueFactory = _ => 8080 };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' on the API" };
        var parallel = new Option<int>("--parallel", "-np") { Description = "Sequences decoded together (slots)", DefaultValueFactory = _ => 4 };
        var ctxSize = new Option<int?>("--ctx-size", "-c") { Description = "Context tokens per slot (default: min(model context, 4096))" };
        var kvType = CliOptions.KvType();
        var budget = new Option<int?>("--thinking-budget") { Description = "Default maximum reasoning tokens per request (0 = no thinking)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where the chat app stores conversations" };
        var cors = new Option<string?>("--cors-origin") { Description = "Allow cross-origin requests from this origin" };
        var cmd = new Command("serve", "Serve a model over an OpenAI/DeepSeek-compatible API (with reasoning_content) and a chat web app")
        {
            model, host, port, apiKey, parallel, ctxSize, kvType, budget, dataDir, cors,
        };
        cmd.SetAction(parse => CommandGuard.Run("serve", () =>
        {
            var options = new ServerOptions
            {
                // Resolved now (not in the background load) so a missing model is one clear error at startup.
                ModelPath = DefaultModel.Resolve(parse.GetValue(model)),
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                ApiKey = parse.GetValue(apiKey),
                Parallel = parse.GetValue(parallel),
                CtxSize = parse.GetValue(ctxSize),
                KvType = parse.GetValue(kvType)!,
                ThinkingBudget = parse.GetValue(budget),
                DataDir = parse.GetValue(dataDir),
                CorsOrigin = parse.GetValue(cors),
            };
            Models.ModelLoadOptions.ParseKvType(options.KvType); // one clear error before the server starts
            if (options.CtxSize is < 16) throw new ArgumentException("--ctx-size must be at least 16");
            if (options.ThinkingBudget is < 0) throw new ArgumentException("--thinking-budget must be >= 0");
            var app = R1Server.Build(options);
            var engine = R1Server.Engine(app);
            try { app.Run(); }
            catch (IOException e) when (e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new IOException($"port {options.Port} on {options.Host} is already in use (another r1 serve?): stop it or choose another --port");
            }
            return engine.LoadError is null ? 0 : 1;
        }));
        return cmd;
    }
}
