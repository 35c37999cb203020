using System.Runtime.InteropServices;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Bench;

/// <summary>
/// `kernels`: compute speed of each kernel and path with its weights in cache (256 rows x 1536), one thread, timed by
/// the thread's CPU time (the figure holds on a machine shared with other jobs): the row kernels (ggml layout) and the
/// 16-row tile kernels on each SIMD path, for 1 token (decode) and 4 tokens (prefill), in GMAC/s (multiply-adds).
/// </summary>
internal static unsafe class KernelBench
{
    [DllImport("libc")] private static extern int clock_gettime(int clock, out TimeSpec t);
    private struct TimeSpec { public long Seconds, Nanoseconds; }
    private static double ThreadSeconds() { clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, out var t); return t.Seconds + t.Nanoseconds * 1e-9; }

    public static int Run(string[] args)
    {
        const int rows = 256, cols = 1536, tokens = 4;
        var types = (Args.Get(args, "--types") ?? "q4_0,q4_1,q5_0,q5_1,q8_0,q4_k,q5_k,q6_k")
            .Split(',').Select(s => Enum.Parse<GgmlType>(s, ignoreCase: true)).ToArray();
        double seconds = double.Parse(Args.Get(args, "--seconds") ?? "0.3", System.Globalization.CultureInfo.InvariantCulture);
        var rng = new Random(1);
        float[] wf = new float[rows * cols];
        for (int i = 0; i < wf.Length; i++) wf[i] = (float)(rng.NextDouble() * 2 - 1) * 0.05f;
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        float* y = (float*)NativeMemory.AlignedAlloc(tokens * rows * 4, 64);
        ActivationRow* xr = (ActivationRow*)NativeMemory.Alloc((nuint)(tokens * sizeof(ActivationRow)));
        Console.WriteLine($"1 thread, weights {rows} x {cols} in cache, GMAC/s by thread CPU time (best of 3); best path here: {Simd.Best}");
        Console.WriteLine("| type | row 1 tok | row 4 tok | tile V256 1 | tile V256 4 | tile V512 1 | tile V512 4 | pack GB/s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var type in types)
        {
            byte[] wq = Quantizer.Quantize(type, wf, cols);
            long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
            bool tiled = RowTiles.Supports(type);
            long tileBytes = tiled ? RowTiles.TileBytes(type, cols) : 0;
            byte* tiles = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(64, tileBytes * (rows / 16)), 64);
            byte* wp = (byte*)NativeMemory.AlignedAlloc((nuint)wq.Length, 64);
            wq.CopyTo(new Span<byte>(wp, wq.Length));
            var act = new QuantizedActivations();
            fixed (float* xp = x)
            {
                if (tiled)
                    for (int t = 0; t < rows / 16; t++) RowTiles.Pack(type, wp + t * 16 * rowBytes, rowBytes, tiles + t * tileBytes, cols);
                act.Prepare(type, xp, cols, tokens);
                for (int k = 0; k < tokens; k++) xr[k] = act.Row(k);
                var cells = new List<string>();
                Simd.Forced = SimdPath.V256;
                cells.Add(Measure(() => { for (int r = 0; r < rows; r++) y[r] = MatMul.Dot(type, wp + r * rowBytes, xr[0], cols); }, rows * (double)cols, seconds));
                cells.Add(Measure(() => { for (int r = 0; r < rows; r++) MatMul.Dot4(type, wp + r * rowBytes, xr, cols, y + 4 * r); }, 4.0 * rows * cols, seconds));
                foreach (var path in new[] { SimdPath.V256, SimdPath.V512 })
                    foreach (int n in new[] { 1, 4 })
                    {
                        if (!tiled || !Simd.IsSupported(path)) { cells.Add("-"); continue; }
                        Simd.Forced = path;
                        cells.Add(Measure(() => { for (int t = 0; t < rows / 16; t++) TileKernels.Dot(type, tiles + t * tileBytes, cols, xr, n, y + 16 * t, rows); },
                            (double)n * rows * cols, seconds));
                    }
                Simd.Forced = null;
                // load-time repacking speed (bytes of ggml rows per second)
                cells.Add(tiled ? Measure(() => { for (int t = 0; t < rows / 16; t++) RowTiles.Pack(type, wp + t * 16 * rowBytes, rowBytes, tiles + t * tileBytes, cols); },
                    rowBytes * rows / 1e9 * 1e9, seconds) : "-");
                Console.WriteLine($"| {type} | {string.Join(" | ", cells)} |");
            }
            NativeMemory.AlignedFree(tiles);
            NativeMemory.AlignedFree(wp);
        }
        return 0;
    }

    private static string Measure(Action a, double macs, double seconds)
    {
        a();
        double best = 0;
        for (int rep = 0; rep < 3; rep++)
        {
            int n = 0;
            double t0 = ThreadSeconds(), t;
            do { a(); n++; } while ((t = ThreadSeconds() - t0) < seconds / 3);
            best = Math.Max(best, macs * n / t / 1e9);
        }
        return best.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }
}
