using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Float weight rows . float activations, 1 or 4 tokens: y[k] = sum_c w[c]*x_k[c] for w in F32, F16 or BF16
/// (x already rounded to the weight's type, like llama.cpp's vec_dot_f16/bf16), accumulated in float32 lanes; with
/// 4 tokens each weight vector is loaded and converted once. 512-bit, 256-bit and scalar paths.</summary>
internal static unsafe class DotFloat
{
    private interface IRow
    {
        static abstract Vector512<float> Load16(byte* w, int i);
        static abstract Vector256<float> Load8(byte* w, int i);
        static abstract float Load1(byte* w, int i);
    }

    private struct F32Row : IRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load16(byte* w, int i) => Vector512.Load((float*)w + i);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load8(byte* w, int i) => Vector256.Load((float*)w + i);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load1(byte* w, int i) => ((float*)w)[i];
    }

    private struct F16Row : IRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load16(byte* w, int i) => Simd.HalfToFloat(Vector256.Load((ushort*)w + i));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load8(byte* w, int i) => Simd.HalfToFloat(Vector128.Load((ushort*)w + i));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load1(byte* w, int i) => FloatConversions.HalfToFloat(((ushort*)w)[i]);
    }

    private struct BF16Row : IRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load16(byte* w, int i) => Simd.BF16ToFloat(Vector256.Load((ushort*)w + i));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load8(byte* w, int i) => Simd.BF16ToFloat(Vector128.Load((ushort*)w + i));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load1(byte* w, int i) => FloatConversions.BF16ToFloat(((ushort*)w)[i]);
    }

    public static float Dot(GgmlType type, byte* w, float* x, int n)
    {
        float y;
        Dot(type, w, &x, 1, n, &y);
        return y;
    }

    /// <summary>y[k] = w . x[k] for k &lt; tokens (1 to 4).</summary>
    public static void Dot(GgmlType type, byte* w, float** x, int tokens, int n, float* y)
    {
        switch (type)
        {
            case GgmlType.F16: Dot<F16Row>(w, x, tokens, n, y); break;
            case GgmlType.BF16: Dot<BF16Row>(w, x, tokens, n, y); break;
            default: Dot<F32Row>(w, x, tokens, n, y); break;
        }
    }

    private static void Dot<TRow>(byte* w, float** x, int tokens, int n, float* y) where TRow : IRow
    {
        var path = Simd.Path;
        if (tokens == 4 && path == SimdPath.V512) { Four512<TRow>(w, x, n, y); return; }
        if (tokens == 4 && path == SimdPath.V256) { Four256<TRow>(w, x, n, y); return; }
        for (int k = 0; k < tokens; k++)
            y[k] = path switch
            {
                SimdPath.V512 => One512<TRow>(w, x[k], n),
                SimdPath.V256 => One256<TRow>(w, x[k], n),
                _ => Scalar<TRow>(w, x[k], n),
            };
    }

    /// <summary>The portable reference.</summary>
    private static float Scalar<TRow>(byte* w, float* x, int n) where TRow : IRow
    {
        float sum = 0;
        for (int i = 0; i < n; i++) sum += TRow.Load1(w, i) * x[i];
        return sum;
    }

    private static float One512<TRow>(byte* w, float* x, int n) where TRow : IRow
    {
        Vector512<float> a0 = default, a1 = default;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            a0 = Avx512F.FusedMultiplyAdd(TRow.Load16(w, i), Vector512.Load(x + i), a0);
            a1 = Avx512F.FusedMultiplyAdd(TRow.Load16(w, i + 16), Vector512.Load(x + i + 16), a1);
        }
        for (; i + 16 <= n; i += 16) a0 = Avx512F.FusedMultiplyAdd(TRow.Load16(w, i), Vector512.Load(x + i), a0);
        float sum = Vector512.Sum(a0 + a1);
        for (; i < n; i++) sum += TRow.Load1(w, i) * x[i];
        return sum;
    }

    private static float One256<TRow>(byte* w, float* x, int n) where TRow : IRow
    {
        Vector256<float> a0 = default, a1 = default;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            a0 = Fma.MultiplyAdd(TRow.Load8(w, i), Vector256.Load(x + i), a0);
            a1 = Fma.MultiplyAdd(TRow.Load8(w, i + 8), Vector256.Load(x + i + 8), a1);
        }
        for (; i + 8 <= n; i += 8) a0 = Fma.MultiplyAdd(TRow.Load8(w, i), Vector256.Load(x + i), a0);
        float sum = Vector256.Sum(a0 + a1);
        for (; i < n; i++) sum += TRow.Load1(w, i) * x[i];
        return sum;
    }

    private static void Four512<TRow>(byte* w, float** x, int n, float* y) where TRow : IRow
    {
        float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var wv = TRow.Load16(w, i);
            a0 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(x0 + i), a0);
            a1 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(x1 + i), a1);
            a2 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(x2 + i), a2);
            a3 = Avx512F.FusedMultiplyAdd(wv, Vector512.Load(x3 + i), a3);
        }
        y[0] = Vector512.Sum(a0); y[1] = Vector512.Sum(a1); y[2] = Vector512.Sum(a2); y[3] = Vector512.Sum(a3);
        for (; i < n; i++)
        {
            float wi = TRow.Load1(w, i);
            y[0] += wi * x0[i]; y[1] += wi * x1[i]; y[2] += wi * x2[i]; y[3] += wi * x3[i];
        }
    }

    private static void Four256<TRow>(byte* w, float** x, int n, float* y) where TRow : IRow
    {
        float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var wv = TRow.Load8(w, i);
            a0 = Fma.MultiplyAdd(wv, Vector256.Load(x0 + i), a0);
            a1 = Fma.MultiplyAdd(wv, Vector256.Load(x1 + i), a1);
            a2 = Fma.MultiplyAdd(wv, Vector256.Load(x2 + i), a2);
            a3 = Fma.MultiplyAdd(wv, Vector256.Load(x3 + i), a3);
        }
        y[0] = Vector256.Sum(a0); y[1] = Vector256.Sum(a1); y[2] = Vector256.Sum(a2); y[3] = Vector256.Sum(a3);
        for (; i < n; i++)
        {
            float wi = TRow.Load1(w, i);
            y[0] += wi * x0[i]; y[1] += wi * x1[i]; y[2] += wi * x2[i]; y[3] += wi * x3[i];
        }
    }
}
