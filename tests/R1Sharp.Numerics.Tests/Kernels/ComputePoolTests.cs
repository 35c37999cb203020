using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Numerics.Tests.Kernels;

public unsafe class ComputePoolTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="work"/> on another thread and fails (instead of hanging) if it does not finish.</summary>
    private static void Finishes(Action work)
    {
        var task = Task.Factory.StartNew(work, TaskCreationOptions.LongRunning);
        Assert.True(task.Wait(Patience), "the loop did not finish: it waits on something that never comes");
    }

    [Fact]
    public void DelegateBodiesRunEveryIndexExactlyOnce()
    {
        using var pool = new ComputePool(3);
        for (int round = 0; round < 200; round++)
        {
            int n = round % 17;
            var hits = new int[n];
            pool.For(n, i => Interlocked.Increment(ref hits[i]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    private struct CountArgs
    {
        public int* Hits;
        public long* Sum;
    }

    private static void CountBody(int i, void* context)
    {
        var a = (CountArgs*)context;
        Interlocked.Increment(ref a->Hits[i]);
        Interlocked.Add(ref *a->Sum, i);
    }

    [Fact]
    public void FunctionPointerBodiesRunEveryIndexExactlyOnceWithTheirContext()
    {
        using var pool = new ComputePool(3);
        for (int round = 0; round < 200; round++)
        {
            int n = round % 23;
            var hits = new int[Math.Max(1, n)];
            long sum = 0;
            fixed (int* h = hits)
            {
                var args = new CountArgs { Hits = h, Sum = &sum };
                pool.For(n, &CountBody, &args);
            }
            Assert.All(hits.AsSpan(0, n).ToArray(), x => Assert.Equal(1, x));
            Assert.Equal((long)n * (n - 1) / 2, sum);
        }
    }

    private struct ReduceArgs
    {
        public float* X, Y;
        public int Cols;
    }

    private static void RowSum(int row, void* context)
    {
        var a = (ReduceArgs*)context;
        float s = 0;
        for (int c = 0; c < a->Cols; c++) s += a->X[(long)row * a->Cols + c] * (1 + c % 7);
        a->Y[row] = s;
    }

    [Fact]
    public void ResultsDoNotDependOnThreadsOrTiming()
    {
        // Each index writes only its own output, summed in a fixed order: any thread count and any timing give the
        // bits of the serial loop (what the training kernels rely on for bit-exact resume).
        const int rows = 301, cols = 257;
        var rng = new Xoshiro256StarStar(7);
        float[] x = Enumerable.Range(0, rows * cols).Select(_ => (float)rng.NextGaussian()).ToArray();
        float[] serial = new float[rows], y = new float[rows];
        fixed (float* px = x, ps = serial, py = y)
        {
            var args = new ReduceArgs { X = px, Y = ps, Cols = cols };
            for (int r = 0; r < rows; r++) RowSum(r, &args);
            foreach (int threads in new[] { 1, 2, 3, 5 })
            {
                using var pool = new ComputePool(threads);
                for (int round = 0; round < 20; round++)
                {
                    Array.Clear(y);
                    args.Y = py;
                    pool.For(rows, &RowSum, &args);
                    Assert.Equal(serial, y);
                }
            }
        }
    }

    private static void Throw(int i, void* context)
    {
        if (i == *(int*)context) throw new InvalidDataException($"item {i}");
    }

    private static void ForThrowingAt(ComputePool pool, int bad) => pool.For(64, &Throw, &bad);

    [Fact]
    public void RethrowsTheBodysExceptionAndStaysUsable()
    {
        using var pool = new ComputePool(2);
        var e = Assert.Throws<InvalidOperationException>(() => pool.For(10, i => { if (i == 5) throw new InvalidOperationException("five"); }));
        Assert.Equal("five", e.Message);
        var f = Assert.Throws<InvalidDataException>(() => ForThrowingAt(pool, 7));
        Assert.Equal("item 7", f.Message);
        int sum = 0;
        pool.For(10, i => Interlocked.Add(ref sum, i));
        Assert.Equal(45, sum);
    }

    private static void Nested(int i, void* context)
    {
        var pool = (ComputePool)System.Runtime.InteropServices.GCHandle.FromIntPtr((nint)context).Target!;
        int thread = Environment.CurrentManagedThreadId, inner = 0;
        pool.For(4, j => { Assert.Equal(thread, Environment.CurrentManagedThreadId); Interlocked.Increment(ref inner); });
        Assert.Equal(4, inner);
    }

    [Fact]
    public void NestedLoopsRunInlineOnTheBodysThread()
    {
        using var outer = new ComputePool(3);
        using var other = new ComputePool(2);
        int total = 0;
        outer.For(12, i =>
        {
            int thread = Environment.CurrentManagedThreadId;
            outer.For(5, j => { Assert.Equal(thread, Environment.CurrentManagedThreadId); Interlocked.Increment(ref total); });
            other.For(5, j => { Assert.Equal(thread, Environment.CurrentManagedThreadId); Interlocked.Increment(ref total); });
        });
        Assert.Equal(12 * 10, total);

        var handle = System.Runtime.InteropServices.GCHandle.Alloc(other);
        try { outer.For(6, &Nested, (void*)System.Runtime.InteropServices.GCHandle.ToIntPtr(handle)); }
        finally { handle.Free(); }
    }

    [Fact]
    public void ManyShortLoopsComplete()
    {
        using var pool = new ComputePool(4) { SpinIterations = 50 };
        Finishes(() =>
        {
            for (int round = 0; round < 20_000; round++)
            {
                int n = 2 + round % 3, sum = 0;
                pool.For(n, i => Interlocked.Add(ref sum, i + 1));
                Assert.Equal(n * (n + 1) / 2, sum);
            }
        });
    }

    [Fact]
    public void CallersOnDifferentThreadsTakeTurns()
    {
        using var pool = new ComputePool(3);
        Finishes(() => Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, caller =>
        {
            for (int round = 0; round < 300; round++)
            {
                int n = 1 + (round + caller) % 19;
                var hits = new int[n];
                pool.For(n, i => Interlocked.Increment(ref hits[i]));
                Assert.All(hits, h => Assert.Equal(1, h));
            }
        }));
    }

    [Fact]
    public void ALateWorkerNeverStallsACall()
    {
        using var pool = new ComputePool(2);
        using var release = new ManualResetEventSlim(false);
        pool.BeforeWorkerJoins = () => release.Wait(); // the worker wakes but is not scheduled until released
        Finishes(() =>
        {
            // The caller runs every item itself and returns without the worker.
            int caller = Environment.CurrentManagedThreadId;
            for (int round = 0; round < 50; round++)
            {
                var ran = new int[16];
                pool.For(16, i => ran[i] = Environment.CurrentManagedThreadId);
                Assert.All(ran, t => Assert.Equal(caller, t));
            }
        });
        pool.BeforeWorkerJoins = null;
        release.Set();
        // The late worker finds its loops closed, goes back to waiting and takes part again in later loops.
        Finishes(() =>
        {
            int caller = Environment.CurrentManagedThreadId;
            bool helped = false;
            for (int round = 0; !helped; round++)
            {
                int sum = 0;
                pool.For(8, i =>
                {
                    if (Environment.CurrentManagedThreadId != caller) Volatile.Write(ref helped, true);
                    else Thread.SpinWait(2000);
                    Interlocked.Add(ref sum, i);
                });
                Assert.Equal(28, sum);
            }
        });
    }

    [Fact]
    public void WakesAfterWorkersWentToSleep()
    {
        using var pool = new ComputePool(2) { SpinIterations = 1 };
        for (int round = 0; round < 50; round++)
        {
            if (round % 10 == 0) Thread.Sleep(5);
            int sum = 0;
            pool.For(4, i => Interlocked.Add(ref sum, i + 1));
            Assert.Equal(10, sum);
        }
    }

    [Fact]
    public void ACallerThatSleepsIsWokenByTheLastWorkerToLeave()
    {
        // No spinning: the caller runs out of items first (the workers' items are slow) and sleeps until they leave.
        using var pool = new ComputePool(3) { SpinIterations = 0 };
        Finishes(() =>
        {
            int caller = Environment.CurrentManagedThreadId;
            for (int round = 0; round < 100; round++)
            {
                var hits = new int[6];
                pool.For(6, i =>
                {
                    if (Environment.CurrentManagedThreadId != caller) Thread.Sleep(1);
                    Interlocked.Increment(ref hits[i]);
                });
                Assert.All(hits, h => Assert.Equal(1, h));
            }
        });
    }

    [Fact]
    public void DisposedPoolsRefuseLoopsAndTheSharedPoolCannotBeDisposed()
    {
        var pool = new ComputePool(2);
        pool.Dispose();
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.For(4, _ => { }));
        Assert.Throws<InvalidOperationException>(() => ComputePool.Shared.Dispose());
        int sum = 0;
        ComputePool.Shared.For(4, i => Interlocked.Add(ref sum, i));
        Assert.Equal(6, sum);
        Assert.Equal(Environment.ProcessorCount, ComputePool.Shared.Threads);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputePool(0));
    }
}
