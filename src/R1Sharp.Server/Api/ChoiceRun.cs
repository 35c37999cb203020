using System.Runtime.CompilerServices;
using System.Threading.Channels;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Server.Api;

/// <summary>The n generations of one API request, submitted together and read as one stream of (choice index, update).
/// Disposing cancels whatever is still running, so a request that ends early (client gone, error) frees its slots.</summary>
internal sealed class ChoiceRun : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly List<ChannelReader<GenerationUpdate>> _readers = [];

    private ChoiceRun(CancellationToken aborted) => _cts = CancellationTokenSource.CreateLinkedTokenSource(aborted);

    public static ChoiceRun Start(IGenerationEngine engine, IReadOnlyList<GenerationRequest> requests, CancellationToken aborted)
    {
        var run = new ChoiceRun(aborted);
        try
        {
            foreach (var r in requests) run._readers.Add(engine.Submit(r, run._cts.Token));
        }
        catch
        {
            run.Dispose();
            throw;
        }
        return run;
    }

    public async IAsyncEnumerable<(int Index, GenerationUpdate Update)> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        if (_readers.Count == 1)
        {
            await foreach (var u in _readers[0].ReadAllAsync(ct)) yield return (0, u);
            yield break;
        }
        var merged = Channel.CreateUnbounded<(int, GenerationUpdate)>(new UnboundedChannelOptions { SingleReader = true });
        var pumps = _readers.Select((reader, index) => Task.Run(async () =>
        {
            await foreach (var u in reader.ReadAllAsync(ct)) await merged.Writer.WriteAsync((index, u), ct);
        }, ct)).ToArray();
        _ = Task.WhenAll(pumps).ContinueWith(t => merged.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
        await foreach (var item in merged.Reader.ReadAllAsync(ct)) yield return item;
    }

    public void Dispose()
    {
        _cts.Cancel();
        _cts.Dispose();
    }
}
