using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Numerics.Layers;

/// <summary>SwiGLU, elementwise: h = silu(g) * u, silu(g) = g * sigmoid(g). The one implementation of inference and training.</summary>
public static unsafe class SwiGlu
{
    private struct Args { public float* H, G, U, Dh, Dg, Du; public long Len; }
    private const int Chunk = 16384;

    /// <summary>h[n] = silu(g[n]) * u[n]; h may alias g or u.</summary>
    public static void Forward(float* g, float* u, float* h, long n)
    {
        Span<float> tmp = stackalloc float[256];
        for (long i = 0; i < n; i += 256)
        {
            int len = (int)Math.Min(256, n - i);
            var gs = new ReadOnlySpan<float>(g + i, len);
            var t = tmp[..len];
            TensorPrimitives.Sigmoid(gs, t);
            TensorPrimitives.Multiply(t, gs, t);
            TensorPrimitives.Multiply(t, new ReadOnlySpan<float>(u + i, len), new Span<float>(h + i, len));
        }
    }

    /// <summary><see cref="Forward(float*, float*, float*, long)"/> in chunks on <paramref name="pool"/>.</summary>
    public static void Forward(ComputePool pool, float* g, float* u, float* h, long n)
    {
        var a = new Args { H = h, G = g, U = u, Len = n };
        pool.For((int)((n + Chunk - 1) / Chunk), &ForwardChunk, &a);
    }

    private static void ForwardChunk(int task, void* ctx)
    {
        ref Args a = ref Unsafe.AsRef<Args>(ctx);
        long start = (long)task * Chunk;
        Forward(a.G + start, a.U + start, a.H + start, Math.Min(a.Len, start + Chunk) - start);
    }

    /// <summary>dg = dh * u * sig(g) * (1 + g (1 - sig(g))); du = dh * silu(g). Overwrites dg, du.</summary>
    public static void Backward(ComputePool pool, float* dg, float* du, float* dh, float* g, float* u, long n)
    {
        var a = new Args { Dg = dg, Du = du, Dh = dh, G = g, U = u, Len = n };
        pool.For((int)((n + Chunk - 1) / Chunk), &BackwardChunk, &a);
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
