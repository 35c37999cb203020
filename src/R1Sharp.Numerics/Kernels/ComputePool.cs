using System.Runtime.ExceptionServices;

namespace R1Sharp.Numerics.Kernels;

/// <summary>
/// A fixed set of worker threads for data-parallel loops, the one thread pool of R1Sharp (inference and training).
/// <see cref="For(int, Action{int})"/> and <c>For(int, delegate*&lt;int, void*, void&gt;, void*)</c> run body(i) for
/// every i in [0, count) and return when all are done; the caller takes part as one of the <see cref="Threads"/>.
/// <list type="bullet">
/// <item>Each index runs exactly once, on one thread; which thread is a matter of timing, so a body that depends only
/// on its index and writes only its own outputs gives results that never depend on timing (training relies on it).</item>
/// <item>A loop called from inside a body (of any pool) runs inline on that thread.</item>
/// <item>Calls from different threads take turns (one loop at a time per pool); two pools run independently.</item>
/// <item>Workers join a loop only while it is open: once the caller has run out of items it closes the loop and waits
/// only for workers that joined, so a worker the OS has not scheduled yet (a busy machine) never stalls a call.</item>
/// <item>Workers spin briefly after each loop (matmuls come back to back during decoding), then sleep.</item>
/// <item>The first exception of a body is rethrown to the caller (the remaining items are skipped).</item>
/// <item>No allocation per call.</item>
/// </list>
/// Models and trainers own their pool (and dispose it); <see cref="Shared"/> is a default for tools and tests.
/// </summary>
public sealed unsafe class ComputePool : IDisposable
{
    private static readonly Lazy<ComputePool> s_shared = new(() => new ComputePool(Environment.ProcessorCount));

    /// <summary>A process-wide pool with one thread per core, for tools and tests; it cannot be reconfigured or disposed.</summary>
    public static ComputePool Shared => s_shared.Value;

    [ThreadStatic] private static bool t_inBody;

    private readonly object _gate = new();
    private readonly Worker[] _workers;
    private readonly SemaphoreSlim _joinedLeft = new(0); // released by the last joined worker when the caller sleeps
    private int _callerSleeping;
    private bool _disposed;

    // the current loop: either an Action<int> or a function pointer with its context
    private Action<int>? _action;
    private delegate*<int, void*, void> _function;
    private void* _context;
    private int _count;
    private int _next;
    private int _state = Closed; // number of workers inside the current loop, plus Closed once the caller has finished
    private const int Closed = 1 << 30;
    private Exception? _error;

    /// <param name="threads">Threads taking part in a loop, the caller included (1 = run inline).</param>
    public ComputePool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, $"compute threads must be at least 1 (got {threads})");
        Threads = threads;
        _workers = new Worker[threads - 1];
        for (int w = 0; w < _workers.Length; w++) _workers[w] = new Worker(this, w);
    }

    /// <summary>Threads taking part in a loop, the caller included.</summary>
    public int Threads { get; }

    /// <summary>How long a thread spins before it sleeps: a worker waiting for the next loop, the caller waiting for
    /// the workers that joined. The default suits decoding (short loops back to back, where a wake-up costs more than
    /// the loop). Training's loops are long: its pools use 0 (sleep at once), so idle threads leave the cores to the
    /// busy ones on a loaded machine (spinning cost 10-15% there in bench/train-speed).</summary>
    public int SpinIterations { get; init; } = 20000;

    /// <summary>Test hook: runs on a worker after it wakes for a loop and before it tries to join (a late worker).</summary>
    internal Action? BeforeWorkerJoins { get; set; }

    /// <summary>Runs body(i) for i in [0, count) across the threads; returns when all are done.</summary>
    public void For(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        if (count == 1 || Threads == 1 || t_inBody)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Run(count, body, null, null);
    }

    /// <summary>Runs body(i, context) for i in [0, count) across the threads; returns when all are done. The context
    /// is usually a struct of arguments on the caller's stack, so a call allocates nothing.</summary>
    public void For(int count, delegate*<int, void*, void> body, void* context)
    {
        if (body == null) throw new ArgumentNullException(nameof(body));
        if (count <= 0) return;
        if (count == 1 || Threads == 1 || t_inBody)
        {
            for (int i = 0; i < count; i++) body(i, context);
            return;
        }
        Run(count, null, body, context);
    }

    private void Run(int count, Action<int>? action, delegate*<int, void*, void> function, void* context)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int helpers = Math.Min(_workers.Length, count - 1);
            _action = action;
            _function = function;
            _context = context;
            _count = count;
            _next = 0;
            _error = null;
            Volatile.Write(ref _state, 0); // open
            for (int w = 0; w < helpers; w++) _workers[w].Start();
            t_inBody = true;
            try { RunItems(); }
            finally { t_inBody = false; }
            if (Interlocked.Add(ref _state, Closed) != Closed) WaitForJoinedWorkers();
            _action = null;
            _function = null;
            _context = null;
            if (_error is { } e)
            {
                _error = null;
                ExceptionDispatchInfo.Throw(e);
            }
        }
    }

    private void WaitForJoinedWorkers()
    {
        var spin = new SpinWait();
        for (int s = 0; s < SpinIterations; s++)
        {
            if (Volatile.Read(ref _state) == Closed) return;
            spin.SpinOnce(sleep1Threshold: -1);
        }
        Interlocked.Exchange(ref _callerSleeping, 1); // full fence: the state read below must not move above this
        if (Volatile.Read(ref _state) == Closed)
        {
            // The last worker left meanwhile: if it saw us sleeping it released the semaphore, so take that token.
            if (Interlocked.Exchange(ref _callerSleeping, 0) == 0) _joinedLeft.Wait();
            return;
        }
        _joinedLeft.Wait();
    }

    /// <summary>A joined worker leaves the loop; the last one to leave a closed loop wakes a sleeping caller.</summary>
    private void Leave()
    {
        if (Interlocked.Decrement(ref _state) == Closed && Interlocked.Exchange(ref _callerSleeping, 0) == 1)
            _joinedLeft.Release();
    }

    private bool TryJoin()
    {
        while (true)
        {
            int s = Volatile.Read(ref _state);
            if ((s & Closed) != 0) return false;
            if (Interlocked.CompareExchange(ref _state, s + 1, s) == s) return true;
        }
    }

    private void RunItems()
    {
        int count = _count;
        try
        {
            if (_action is { } action)
            {
                for (int i = Interlocked.Increment(ref _next) - 1; i < count; i = Interlocked.Increment(ref _next) - 1)
                    action(i);
            }
            else
            {
                var function = _function;
                void* context = _context;
                for (int i = Interlocked.Increment(ref _next) - 1; i < count; i = Interlocked.Increment(ref _next) - 1)
                    function(i, context);
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, e, null);
            Volatile.Write(ref _next, count); // stop handing out work
        }
    }

    /// <summary>Stops the worker threads once the loop in progress (if any) has finished.</summary>
    public void Dispose()
    {
        if (ReferenceEquals(this, s_shared.IsValueCreated ? s_shared.Value : null))
            throw new InvalidOperationException("ComputePool.Shared is process-wide and cannot be disposed");
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var w in _workers) w.Start(); // wakes it to see _disposed and exit
        }
    }

    private sealed class Worker
    {
        private readonly ComputePool _pool;
        private readonly SemaphoreSlim _wake = new(0);
        private int _generation;   // bumped by Start
        private int _sleeping;     // 1 while blocked (or about to block) on _wake

        public Worker(ComputePool pool, int index)
        {
            _pool = pool;
            new Thread(Loop) { IsBackground = true, Name = $"R1Sharp compute {index + 1}" }.Start();
        }

        public void Start()
        {
            Interlocked.Increment(ref _generation);
            if (Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Release();
        }

        private void Loop()
        {
            t_inBody = true;
            int seen = 0;
            while (true)
            {
                int spins = _pool.SpinIterations;
                for (int s = 0; Volatile.Read(ref _generation) == seen; s++)
                {
                    if (s < spins) { Thread.SpinWait(20); continue; }
                    Interlocked.Exchange(ref _sleeping, 1); // full fence: the generation read below must not move above this
                    if (Volatile.Read(ref _generation) != seen)
                    {
                        // Start ran meanwhile: if it saw us sleeping it released the semaphore, so take that token.
                        if (Interlocked.Exchange(ref _sleeping, 0) == 0) _wake.Wait();
                        break;
                    }
                    _wake.Wait();
                    break;
                }
                seen = Volatile.Read(ref _generation);
                if (Volatile.Read(ref _pool._disposed)) return;
                _pool.BeforeWorkerJoins?.Invoke();
                if (_pool.TryJoin())
                {
                    _pool.RunItems();
                    _pool.Leave();
                }
            }
        }
    }
}
