namespace R1Sharp.Training;

/// <summary>
/// A fixed set of worker threads running <c>body(i, context)</c> for i in [0, count) and returning when all are
/// done. Work is handed out through a shared counter; each index is computed by exactly one thread in a fixed
/// order, so results never depend on thread timing. The body is a function pointer with a context pointer
/// (usually a struct on the caller's stack), so a call allocates nothing.
/// </summary>
public sealed unsafe class WorkPool : IDisposable
{
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _start;
    private readonly ManualResetEventSlim _done = new(false, 0);
    private delegate*<int, void*, void> _body;
    private void* _context;
    private int _count, _next, _pending;
    private volatile bool _stopping;
    private Exception? _error;

    public int Threads { get; }

    public WorkPool(int threads)
    {
        Threads = Math.Max(1, threads);
        _workers = new Thread[Threads - 1];
        _start = new SemaphoreSlim[Threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _start[i] = new SemaphoreSlim(0);
            int id = i;
            _workers[i] = new Thread(() => WorkerLoop(id)) { IsBackground = true, Name = $"r1-train-{i + 1}" };
            _workers[i].Start();
        }
    }

    private static readonly Lazy<WorkPool> s_default = new(() => new WorkPool(Environment.ProcessorCount));
    /// <summary>A process-wide pool with Environment.ProcessorCount threads (tests, tools).</summary>
    public static WorkPool Default => s_default.Value;

    // Callers on different threads (e.g. tests running in parallel) take turns: the pool holds one loop at a time.
    // A body that calls For again (or any call from a worker thread) runs inline instead of waiting on itself.
    private readonly object _gate = new();
    [ThreadStatic] private static bool t_inside;

    public void For(int count, delegate*<int, void*, void> body, void* context)
    {
        if (count <= 0) return;
        if (Threads == 1 || count == 1 || t_inside)
        {
            for (int i = 0; i < count; i++) body(i, context);
            return;
        }
        lock (_gate)
        {
            t_inside = true;
            try
            {
                _body = body; _context = context; _count = count; _next = 0; _error = null;
                int helpers = Math.Min(_workers.Length, count - 1);
                _pending = helpers;
                _done.Reset();
                for (int i = 0; i < helpers; i++) _start[i].Release();
                Run();
                if (helpers > 0) _done.Wait();
                if (_error != null) throw new AggregateException(_error);
            }
            finally { t_inside = false; }
        }
    }

    private void Run()
    {
        try
        {
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _count) _body(i, _context);
        }
        catch (Exception e) { _error = e; _next = int.MaxValue / 2; }
    }

    private void WorkerLoop(int id)
    {
        t_inside = true;
        while (true)
        {
            _start[id].Wait();
            if (_stopping) return;
            Run();
            if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (var s in _start) s.Release();
    }
}
