using R1Sharp.Inference.Batching;

namespace R1Sharp.Server;

/// <summary>Creates the batching engine for <see cref="ServerOptions"/>: the model file (or the bundled default),
/// its slots, context size and queue.</summary>
public static class EngineFactory
{
    public static IGenerationEngine Load(ServerOptions options) =>
        throw new NotSupportedException("model loading is not available in this build yet (the model loader has not landed)");
}
