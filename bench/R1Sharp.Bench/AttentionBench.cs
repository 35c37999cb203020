using System.Diagnostics;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Bench;

/// <summary>`attention [--length L] [--heads H] [--dim D]`: one thread's decode attention (timed in CPU time) over one KV head's cache
/// (GroupedAttention.Partial, every path, F32 and F16), as positions x heads per microsecond and GB/s of cache streamed.
/// Defaults: the 1.5B shape at 4,096 tokens of context (6 query heads per KV head, head size 128).</summary>
internal static unsafe class AttentionBench
{
    public static int Run(string[] args)
    {
        int length = int.Parse(Args.Get(args, "--length") ?? "4096"), heads = int.Parse(Args.Get(args, "--heads") ?? "6"),
            dim = int.Parse(Args.Get(args, "--dim") ?? "128");
        var rng = new Random(1);
        float[] q = GC.AllocateArray<float>(heads * dim, pinned: true);
        for (int i = 0; i < q.Length; i++) q[i] = (float)rng.NextDouble() - 0.5f;
        var cache = GC.AllocateArray<byte>(2 * length * dim * 4, pinned: true);
        var scratch = GC.AllocateArray<float>(GroupedAttention.ScratchFloats(heads, dim, dim), pinned: true);
        var partial = GC.AllocateArray<float>(heads * GroupedAttention.PartialFloats(dim), pinned: true);
        float* qp = Address(q), sp = Address(scratch), pp = Address(partial);
        byte* cp = Unsafe(cache);
        Console.WriteLine($"attention, 1 thread, {length} positions, {heads} heads per KV head, head size {dim}");
        foreach (var type in new[] { GgmlType.F32, GgmlType.F16 })
        {
            // finite random values of either type
            if (type == GgmlType.F16) for (long i = 0; i < cache.Length / 2; i++) ((ushort*)Unsafe(cache))[i] = (ushort)(rng.Next(0x3000, 0x4000) | (rng.Next(2) << 15));
            else for (long i = 0; i < cache.Length / 4; i++) ((float*)Unsafe(cache))[i] = (float)rng.NextDouble() - 0.5f;
            int size = type == GgmlType.F16 ? 2 : 4;
            foreach (var path in Enum.GetValues<SimdPath>())
            {
                if (!Simd.IsSupported(path)) continue;
                Simd.Forced = path;
                try
                {
                    {
                        byte* keys = cp, values = cp + (long)length * dim * size;
                        void Once() => GroupedAttention.Partial(type, qp, dim, heads, keys, dim, values, dim, 0, length, dim, dim, 0.09f, sp, pp);
                        Once();
                        // process CPU time: on a shared machine wall time mostly measures waiting for a core
                        var proc = Process.GetCurrentProcess();
                        double Cpu() { proc.Refresh(); return proc.TotalProcessorTime.TotalSeconds; }
                        int reps = 0;
                        double c0 = Cpu();
                        while (Cpu() - c0 < 0.5 || reps < 3) { Once(); reps++; }
                        double s = (Cpu() - c0) / reps;
                        Console.WriteLine($"  {type} {path}: {s * 1e6,8:F0} us per call, {length * (double)heads / (s * 1e6),7:F0} position-heads/us, " +
                                          $"{2.0 * length * dim * size / s / 1e9,5:F1} GB/s");
                    }
                }
                finally { Simd.Forced = null; }
            }
        }
        return 0;
    }

    private static float* Address(float[] a) => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref a[0]);

    private static byte* Unsafe(byte[] a) => (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref a[0]);
}
