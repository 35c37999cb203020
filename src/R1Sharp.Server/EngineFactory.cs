using R1Sharp.Inference;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Server;

/// <summary>Creates the batching engine for <see cref="ServerOptions"/>: the model file (or the default model) loaded by
/// <see cref="BatchingEngine.Load"/>, the same loader as `r1 run/chat/eval`, with its slots, context and queue.</summary>
internal static class EngineFactory
{
    public static IGenerationEngine Load(ServerOptions options) =>
        // No path: $R1_MODEL or the bundled models/*.gguf.
        BatchingEngine.Load(DefaultModel.Resolve(options.ModelPath), Options(options),
            new Models.ModelLoadOptions { KvType = Models.ModelLoadOptions.ParseKvType(options.KvType) });

    public static BatchingOptions Options(ServerOptions options) => new()
    {
        Slots = options.Parallel,
        ContextSize = options.CtxSize,
        QueueSize = options.QueueSize,
        DefaultTimeout = options.RequestTimeout,
    };
}
