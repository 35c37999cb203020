using System.Diagnostics;
using System.Runtime.Intrinsics;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Bench;

/// <summary>
/// MatMul micro-benchmark on a 1.5B-shaped GGUF: every 2-D weight one token multiplies (28 layers x 7 + output,
/// not token_embd) through <see cref="MatMul.Forward"/>, for decode (batch 1) and prefill (batch B). Reports GB/s of
/// weights streamed, the same bytes read by a plain SIMD sum on the same threads (the machine's practical bandwidth,
/// measured in the same run), and the matmul-only upper bound on tokens/s.
/// </summary>
internal static unsafe class MatMulBench
{
    public static int Run(string[] args)
    {
        string path = Args.Get(args, "--model") ?? "/tmp/r1-distill-qwen-1.5b-random-q8_0.gguf";
        int threads = int.Parse(Args.Get(args, "--threads") ?? "2");
        int batch = int.Parse(Args.Get(args, "--batch") ?? "64");
        double seconds = double.Parse(Args.Get(args, "--seconds") ?? "6", System.Globalization.CultureInfo.InvariantCulture);
        if (!File.Exists(path)) { Console.Error.WriteLine($"{path} not found (make it with: make-model --type q8_0)"); return 2; }

        using var file = GgufFile.Open(path);
        using var pool = new ComputePool(threads);
        using var matmul = new MatMul(pool);
        using var arena = new WeightArena();
        bool mmap = args.Contains("--mmap");
        var mats = Qwen15BShape.Matrices(includeEmbedding: false)
            .Select(m => WeightMatrix.FromGguf(file, file.GetTensor(m.Name)))
            .Select(m => mmap ? m : arena.Place(m, pool)).ToArray();
        long bytes = mats.Sum(m => m.RowBytes * m.Rows);
        Console.WriteLine($"{Path.GetFileName(path)}: {mats.Length} matrices ({(mmap ? "file map" : $"arena, {mats.Count(m => m.Tiled)} tiled, huge pages {arena.HugePages}")}), {bytes / 1e9:F3} GB per token, " +
                          $"types {string.Join(",", mats.Select(m => m.Type).Distinct())}; {threads} threads; " +
                          $"AVX2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}, AVX-VNNI {System.Runtime.Intrinsics.X86.AvxVnni.IsSupported}");

        int maxCols = mats.Max(m => m.Cols), maxRows = mats.Max(m => m.Rows);
        float* xp = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((long)batch * maxCols * 4), 64);
        float* yp = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((long)batch * maxRows * 4), 64);
        var rng = new Random(1);
        for (long i = 0; i < (long)batch * maxCols; i++) xp[i] = (float)(rng.NextDouble() * 2 - 1);

        double readGbs = RawRead(mats, threads, seconds / 3);
        Console.WriteLine($"plain SIMD read of the same bytes: {readGbs:F1} GB/s (cpu/threads: {bytes / (s_lastCpu / threads) / 1e9:F1} GB/s)");

        {
            double decode = Time(() => { foreach (var m in mats) matmul.Forward(m, xp, yp, 1); }, seconds);
            double decodeCpu = s_lastCpu / threads;
            Console.WriteLine($"decode  (batch 1):  wall {decode * 1e3:F1} ms/token, {bytes / decode / 1e9:F1} GB/s " +
                              $"({bytes / decode / 1e9 / readGbs:P0} of plain read), matmul-only bound {1 / decode:F1} tokens/s; " +
                              $"cpu/threads {decodeCpu * 1e3:F1} ms -> {bytes / decodeCpu / 1e9:F1} GB/s, {1 / decodeCpu:F1} tokens/s");
            double prefill = Time(() => { foreach (var m in mats) matmul.Forward(m, xp, yp, batch); }, seconds);
            double prefillCpu = s_lastCpu / threads;
            Console.WriteLine($"prefill (batch {batch}): wall {prefill * 1e3:F0} ms/batch, matmul-only bound {batch / prefill:F1} tokens/s; " +
                              $"cpu/threads {prefillCpu * 1e3:F0} ms -> {batch / prefillCpu:F1} tokens/s");
            foreach (var group in mats.GroupBy(m => (m.Type, m.Rows, m.Cols)).Take(8))
            {
                var m = group.First();
                double t = Time(() => matmul.Forward(m, xp, yp, 1), 0.5);
                Console.WriteLine($"  {m,-26} decode {m.RowBytes * m.Rows / t / 1e9:F1} GB/s (cpu/threads {m.RowBytes * m.Rows / (s_lastCpu / threads) / 1e9:F1} GB/s)");
            }
            // Compute speed of each kernel with its weights in cache (one thread, 128 rows of 1536): the decode speed
            // once memory is fast enough, and prefill's per-core multiply rate.
            using var onePool = new ComputePool(1);
            using var one = new MatMul(onePool);
            foreach (var type in mats.Select(m => m.Type).Distinct())
            {
                var m = mats.First(m => m.Type == type && m.Cols == Qwen15BShape.Hidden).Slice(0, 128);
                long mb = m.RowBytes * m.Rows;
                double t1 = Time(() => { for (int k = 0; k < 20; k++) one.Forward(m, xp, yp, 1); }, 1) / 20;
                double c1 = s_lastCpu / 20;
                double tb = Time(() => one.Forward(m, xp, yp, batch), 1);
                double cb = s_lastCpu;
                Console.WriteLine($"  {type} in cache, 1 thread: batch 1 {mb / t1 / 1e9:F1} GB/s wall, {mb / c1 / 1e9:F1} GB/s cpu; " +
                                  $"batch {batch} {2.0 * m.Rows * m.Cols * batch / tb / 1e9:F1} GFLOP/s wall, {2.0 * m.Rows * m.Cols * batch / cb / 1e9:F1} GFLOP/s cpu");
            }
        }
        return 0;
    }

    /// <summary>CPU seconds per run of the last <see cref="Time"/> (process CPU time / runs): on a machine shared with
    /// other jobs, cpu / threads estimates the wall time the run would take with the threads' cores to itself.</summary>
    private static double s_lastCpu;

    private static double Time(Action a, double seconds)
    {
        a(); // warm-up (JIT, page-in)
        var sw = Stopwatch.StartNew();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        int n = 0;
        double best = double.MaxValue;
        while (sw.Elapsed.TotalSeconds < seconds || n < 3)
        {
            long t0 = Stopwatch.GetTimestamp();
            a();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            n++;
        }
        s_lastCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / n;
        // median would be fairer on a quiet machine; on a shared noisy one the best run is the most repeatable figure
        return best;
    }

    private static double RawRead(WeightMatrix[] mats, int threads, double seconds)
    {
        using var pool = new ComputePool(threads);
        var sinks = new float[threads * 16];
        double t = Time(() =>
        {
            foreach (var m in mats)
            {
                long total = m.RowBytes * m.Rows;
                int chunks = threads * 8;
                long per = (total / chunks + 63) / 64 * 64;
                pool.For(chunks, c =>
                {
                    byte* p = m.Data + c * per;
                    long n = Math.Min(per, total - c * per);
                    var acc = Vector256<byte>.Zero;
                    long i = 0;
                    for (; i + 128 <= n; i += 128)
                        acc += Vector256.Load(p + i) ^ Vector256.Load(p + i + 32) ^ Vector256.Load(p + i + 64) ^ Vector256.Load(p + i + 96);
                    sinks[(c % threads) * 16] += acc.GetElement(0);
                });
            }
        }, seconds);
        return mats.Sum(m => m.RowBytes * m.Rows) / t / 1e9;
    }
}
