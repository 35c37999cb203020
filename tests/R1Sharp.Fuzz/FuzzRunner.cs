using System.Diagnostics;

namespace R1Sharp.Fuzz;

/// <summary>
/// Runs fuzz cases: case i of a target under seed s is generated from its own generator state, so any case can be
/// replayed alone (<see cref="Replay"/>). Each case runs on a worker thread with a 1 MiB stack (smaller than a thread
/// pool thread's, so deep recursion shows up here first) under a time limit; a case past it is a hang and the worker is
/// abandoned. A case that allocates more than <see cref="MaxCaseBytes"/> of managed memory is an unbounded-memory finding.
/// </summary>
public sealed class FuzzRunner(int seed, TimeSpan caseTimeout, string? saveDirectory = null)
{
    public const long MaxCaseBytes = 256L << 20;

    public sealed class TargetStats(string name)
    {
        public string Name { get; } = name;
        public long Cases, Clean, Refused, Crashes, Hangs, MemoryFindings;
        public double SlowestMs;
        public long MostAllocated;
    }

    private readonly Dictionary<string, TargetStats> _stats = [];
    private readonly List<FuzzFinding> _findings = [];
    private Worker _worker = new();

    public IReadOnlyList<FuzzFinding> Findings => _findings;
    public IReadOnlyCollection<TargetStats> Stats => _stats.Values;

    /// <summary>Called with the target and case about to run (the long run records it, so that a case that kills the
    /// process can be named).</summary>
    public Action<string, long>? BeforeCase { get; init; }

    /// <summary>The generator of case <paramref name="index"/> of <paramref name="target"/> under <paramref name="seed"/>.</summary>
    public static Random CaseRandom(string target, int seed, long index)
    {
        long h = seed * 1_000_003L + index * 7_919L;
        foreach (char c in target) h = h * 31 + c;
        return new Random((int)(h ^ (h >> 32)));
    }

    /// <summary>The input of one case, as the run generated it.</summary>
    public static FuzzInput Replay(FuzzTarget target, int seed, long index) => target.Generate(CaseRandom(target.Name, seed, index));

    /// <summary>Runs case <paramref name="index"/> of <paramref name="target"/>; returns false when it found something.</summary>
    public bool RunCase(FuzzTarget target, long index)
    {
        if (!_stats.TryGetValue(target.Name, out var stats)) _stats[target.Name] = stats = new TargetStats(target.Name);
        var input = Replay(target, seed, index);
        BeforeCase?.Invoke(target.Name, index);
        stats.Cases++;
        var sw = Stopwatch.StartNew();
        if (!_worker.Run(() => target.Execute(input), caseTimeout, out var error, out long allocated))
        {
            stats.Hangs++;
            Record(target, index, "hang", $"still running after {caseTimeout.TotalSeconds:0.#} s", input);
            _worker = new Worker();   // the stuck one is abandoned (a background thread)
            return false;
        }
        stats.SlowestMs = Math.Max(stats.SlowestMs, sw.Elapsed.TotalMilliseconds);
        stats.MostAllocated = Math.Max(stats.MostAllocated, allocated);
        if (allocated > MaxCaseBytes)
        {
            stats.MemoryFindings++;
            Record(target, index, "memory", $"allocated {allocated >> 20} MiB", input);
            return false;
        }
        if (error == null) { stats.Clean++; return true; }
        if (target.IsExpected(error))
        {
            if (error.Message.Contains('\n')) { stats.Crashes++; Record(target, index, "crash", "error message spans lines: " + error.Message, input); return false; }
            stats.Refused++;
            return true;
        }
        stats.Crashes++;
        Record(target, index, "crash", $"{error.GetType().Name}: {error.Message}\n{error.StackTrace}", input);
        return false;
    }

    private void Record(FuzzTarget target, long index, string kind, string message, FuzzInput input)
    {
        string? saved = null;
        if (saveDirectory != null)
        {
            Directory.CreateDirectory(saveDirectory);
            saved = Path.Combine(saveDirectory, $"{target.Name}-{seed}-{index}{(input.Bytes != null ? ".gguf" : ".txt")}");
            if (input.Bytes != null) File.WriteAllBytes(saved, input.Bytes);
            else File.WriteAllText(saved, input.Text ?? "");
        }
        _findings.Add(new FuzzFinding(target.Name, seed, index, kind, message, input, saved));
    }

    /// <summary>A thread that runs one case at a time.</summary>
    private sealed class Worker
    {
        private readonly SemaphoreSlim _start = new(0), _done = new(0);
        private Action? _job;
        private Exception? _error;
        private long _allocated;

        public Worker()
        {
            var thread = new Thread(Loop, maxStackSize: 1 << 20) { IsBackground = true, Name = "fuzz case" };
            thread.Start();
        }

        private void Loop()
        {
            while (true)
            {
                _start.Wait();
                long before = GC.GetAllocatedBytesForCurrentThread();
                try { _job!(); _error = null; }
                catch (Exception e) { _error = e; }
                finally { FuzzTarget.CleanScratch(); }
                _allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                _done.Release();
            }
        }

        public bool Run(Action job, TimeSpan timeout, out Exception? error, out long allocated)
        {
            _job = job;
            _start.Release();
            bool finished = _done.Wait(timeout);
            error = _error;
            allocated = _allocated;
            return finished;
        }
    }
}
