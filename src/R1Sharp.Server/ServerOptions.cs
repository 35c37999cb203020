using R1Sharp.Inference.Batching;

namespace R1Sharp.Server;

/// <summary>Settings of `r1 serve` (and of an in-process server in tests).</summary>
public sealed record ServerOptions
{
    /// <summary>GGUF model path; null = the bundled default model.</summary>
    public string? ModelPath { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>TCP port; 0 picks a free one (see <see cref="R1Server.BoundUrl"/>).</summary>
    public int Port { get; init; } = 8080;
    /// <summary>When set, every route but /health and the chat page's files requires "Authorization: Bearer KEY".</summary>
    public string? ApiKey { get; init; }
    /// <summary>Sequences decoded together (continuous-batching slots).</summary>
    public int Parallel { get; init; } = 4;
    /// <summary>Tokens per slot (prompt + completion); null = min(model context, 4096).</summary>
    public int? CtxSize { get; init; }
    /// <summary>Element type of the KV cache: "f32" (default) or "f16".</summary>
    public string KvType { get; init; } = "f32";
    /// <summary>Default thinking budget for requests that do not set one; null = unlimited.</summary>
    public int? ThinkingBudget { get; init; }
    /// <summary>Where the chat web app keeps its conversations.</summary>
    public string? DataDir { get; init; }
    /// <summary>Origins (comma-separated) allowed by CORS and to change data; null = CORS off (docs/security.md).</summary>
    public string? CorsOrigin { get; init; }
    public long MaxRequestBodyBytes { get; init; } = 8 * 1024 * 1024;
    /// <summary>Requests that may wait for a slot before new ones get 429.</summary>
    public int QueueSize { get; init; } = 64;
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Print the startup line and load errors to the console.</summary>
    public bool Verbose { get; init; } = true;
    /// <summary>Creates the engine (called once, in the background, at startup); null = load <see cref="ModelPath"/>.</summary>
    public Func<ServerOptions, IGenerationEngine>? EngineFactory { get; init; }
}
