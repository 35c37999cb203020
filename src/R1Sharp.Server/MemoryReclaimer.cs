namespace R1Sharp.Server;

/// <summary>
/// Gives back the memory that large request bodies took. An idle .NET process does not collect on its own, so a
/// burst of multi-megabyte requests (refused or not) would otherwise stay resident (issue 13 item 4: 1.78 GB still
/// there 20 s later). When a request whose body had at least <see cref="LargeBodyBytes"/> ends and no other such
/// request ends for a second, one aggressive full collection returns the free memory to the OS. The model's weights
/// are memory-mapped or pinned, so the collection moves nothing big (a pause of milliseconds).
/// </summary>
internal sealed class MemoryReclaimer : IDisposable
{
    public const int LargeBodyBytes = 1 << 20;
    private static readonly TimeSpan Calm = TimeSpan.FromSeconds(1);
    private readonly Timer _timer;
    private int _collections;

    public MemoryReclaimer() => _timer = new Timer(_ => Collect(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    /// <summary>Collections made so far.</summary>
    public int Collections => Volatile.Read(ref _collections);

    /// <summary>A request with a large body ended: collect once a second has passed without another.</summary>
    public void LargeRequestEnded() => _timer.Change(Calm, Timeout.InfiniteTimeSpan);

    private void Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Interlocked.Increment(ref _collections);
    }

    public void Dispose() => _timer.Dispose();
}
