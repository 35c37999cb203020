using System.Runtime.CompilerServices;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Kernels;

/// <summary>SwiGLU: h = silu(g) * u with silu(g) = g * sigmoid(g), elementwise over [N, F].</summary>
public static unsafe class SwiGlu
{
    private struct Args { public float* H, G, U, Dh, Dg, Du; public long Len; }
    private const int Chunk = 16384;

    public static void Forward(ComputePool pool, float* h, float* g, float* u, long len)
    {
        var a = new Args { H = h, G = g, U = u, Len = len };
        pool.For((int)((len + Chunk - 1) / Chunk), &ForwardChunk, &a);
    }

    private static void ForwardChunk(int task, void* ctx)
    {
        ref Args a = ref Unsafe.AsRef<Args>(ctx);
        long end = Math.Min(a.Len, (long)(task + 1) * Chunk);
        for (long i = (long)task * Chunk; i < end; i++)
        {
            float g = a.G[i];
            a.H[i] = g / (1f + MathF.Exp(-g)) * a.U[i];
        }
    }

    /// <summary>dg = dh * u * sig(g) * (1 + g (1 - sig(g))); du = dh * silu(g). Overwrites dg, du.</summary>
    public static void Backward(ComputePool pool, float* dg, float* du, float* dh, float* g, float* u, long len)
    {
        var a = new Args { Dg = dg, Du = du, Dh = dh, G = g, U = u, Len = len };
        pool.For((int)((len + Chunk - 1) / Chunk), &BackwardChunk, &a);
    }

    private static void BackwardChunk(int task, void* ctx)
    {
        ref Args a = ref Unsafe.AsRef<Args>(ctx);
        long end = Math.Min(a.Len, (long)(task + 1) * Chunk);
        for (long i = (long)task * Chunk; i < end; i++)
        {
            float g = a.G[i], s = 1f / (1f + MathF.Exp(-g)), d = a.Dh[i];
            a.Dg[i] = d * a.U[i] * s * (1f + g * (1f - s));
            a.Du[i] = d * g * s;
        }
    }
}
