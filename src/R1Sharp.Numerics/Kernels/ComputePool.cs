namespace R1Sharp.Numerics.Kernels;

/// <summary>
/// A fixed set of worker threads for data-parallel loops (the caller takes part as one of the <see cref="Threads"/>).
/// Workers spin briefly after each loop (matmuls come back to back during decoding) and then sleep.
/// Calls from different threads are serialized; a <see cref="For"/> nested inside a body runs inline.
/// Workers join a loop only while it is open: once the caller has run out of items it closes the loop and waits only
/// for workers that joined, so a worker the OS has not scheduled yet (a busy or shared machine) never stalls a call.
/// No allocation per call.
/// </summary>
public sealed class ComputePool
{
    private static readonly Lazy<ComputePool> s_shared = new(() => new ComputePool(Environment.ProcessorCount));
    public static ComputePool Shared => s_shared.Value;

    [ThreadStatic] private static bool t_inBody;

    private readonly object _gate = new();
    private readonly List<Worker> _workers = [];
    private int _threads;

    // the current loop
    private Action<int>? _body;
    private int _count;
    private int _next;
    private int _state = Closed; // number of workers inside the current loop, plus Closed once the caller has finished
    private const int Closed = 1 << 30;
    private Exception? _error;

    public ComputePool(int threads) => Threads = threads;

    /// <summary>Threads taking part in a loop, the caller included (1 = run inline).</summary>
    public int Threads
    {
        get => _threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            lock (_gate)
            {
                while (_workers.Count < value - 1) _workers.Add(new Worker(this, _workers.Count));
                _threads = value;
            }
        }
    }

    /// <summary>Iterations a worker spins waiting for the next loop before it sleeps.</summary>
    public int SpinIterations { get; set; } = 20000;

    /// <summary>Runs body(0..count-1) across the threads; returns when all are done. Rethrows the first exception.</summary>
    public void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || _threads == 1 || t_inBody)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        lock (_gate)
        {
            int helpers = Math.Min(_threads - 1, count - 1);
            _body = body;
            _count = count;
            _next = 0;
            _error = null;
            Volatile.Write(ref _state, 0); // open
            for (int w = 0; w < helpers; w++) _workers[w].Start();
            t_inBody = true;
            try { RunItems(); }
            finally { t_inBody = false; }
            Interlocked.Add(ref _state, Closed);
            var spin = new SpinWait();
            while (Volatile.Read(ref _state) != Closed) spin.SpinOnce(sleep1Threshold: -1);
            _body = null;
            if (_error is { } e)
            {
                _error = null;
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
            }
        }
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
        var body = _body!;
        int count = _count;
        try
        {
            for (int i = Interlocked.Increment(ref _next) - 1; i < count; i = Interlocked.Increment(ref _next) - 1)
                body(i);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, e, null);
            Volatile.Write(ref _next, count); // stop handing out work
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
                if (_pool.TryJoin())
                {
                    _pool.RunItems();
                    Interlocked.Decrement(ref _pool._state);
                }
            }
        }
    }
}
