using R1Sharp.Inference.Batching;

namespace R1Sharp.Server;

/// <summary>The engine once loaded. Endpoints answer 503 (loading) until <see cref="Engine"/> is set.</summary>
public sealed class EngineHolder : IDisposable
{
    private volatile IGenerationEngine? _engine;
    private volatile Exception? _error;

    public IGenerationEngine? Engine => _engine;
    public Exception? LoadError => _error;
    public bool IsLoading => _engine is null && _error is null;

    internal void Set(IGenerationEngine engine) => _engine = engine;
    internal void Fail(Exception error) => _error = error;

    public void Dispose() => _engine?.Dispose();
}
