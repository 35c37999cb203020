using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using R1Sharp.Gguf;

namespace R1Sharp.Numerics.Kernels;

/// <summary>
/// Attention of the query heads that share one cached KV head (grouped-query attention, MLA's latent cache), for one
/// query position, flash-decoding style: the cached positions are cut into ranges that run as separate tasks, each
/// streaming its keys and values once for all the group's heads and leaving a partial softmax; <see cref="Merge"/>
/// combines the ranges. For head h over a range: s_j = scale q_h.k_j, m = max_j s_j, l = sum_j exp(s_j - m),
/// acc = sum_j exp(s_j - m) v_j; merged: out = sum_r exp(m_r - M) acc_r / sum_r exp(m_r - M) l_r, M = max_r m_r.
/// The cache holds F32 or F16 values (converted a block at a time into float scratch). 512-bit, 256-bit and scalar paths.
/// </summary>
public static unsafe class GroupedAttention
{
    /// <summary>Positions converted and scored per block (their keys and values stay in L1).</summary>
    public const int Block = 32;

    /// <summary>Floats of one head's partial result: [m, l, acc[valueDim]].</summary>
    public static int PartialFloats(int valueDim) => 2 + valueDim;

    /// <summary>Floats of scratch one task needs.</summary>
    public static int ScratchFloats(int heads, int keyDim, int valueDim) => Block * (keyDim + valueDim + heads);

    /// <summary>
    /// Partial attention of <paramref name="heads"/> query heads over cached positions [start, end) (start &lt; end).
    /// q: head h at q + h*qStride ([keyDim], unscaled); key j at keys + j*keyStride elements, value j at
    /// values + j*valueStride elements (element type <paramref name="type"/>: F32 or F16; keys and values may alias);
    /// scratch: <see cref="ScratchFloats"/> floats; partial: head h at partial + h*PartialFloats(valueDim) (overwritten).
    /// </summary>
    public static void Partial(GgmlType type, float* q, long qStride, int heads, byte* keys, long keyStride,
                               byte* values, long valueStride, int start, int end, int keyDim, int valueDim, float scale,
                               float* scratch, float* partial)
    {
        if (type is not (GgmlType.F32 or GgmlType.F16)) throw new ArgumentException($"KV cache type {type} is not F32 or F16", nameof(type));
        int size = type == GgmlType.F16 ? 2 : 4, rec = PartialFloats(valueDim);
        var path = Simd.Path;
        float* kf = scratch, vf = scratch + Block * keyDim, scores = vf + Block * valueDim;
        for (int h = 0; h < heads; h++)
        {
            float* p = partial + (long)h * rec;
            p[0] = float.NegativeInfinity;
            p[1] = 0;
            new Span<float>(p + 2, valueDim).Clear();
        }
        for (int j0 = start; j0 < end; j0 += Block)
        {
            int b = Math.Min(Block, end - j0);
            // keys as float rows: the cache itself when F32, else converted once for all heads
            float* k = (float*)(keys + (long)j0 * keyStride * size);
            float* v = (float*)(values + (long)j0 * valueStride * size);
            long ks = keyStride, vs = valueStride;
            if (type == GgmlType.F16)
            {
                for (int j = 0; j < b; j++)
                {
                    HalfToFloat(path, (ushort*)k + j * keyStride, kf + j * keyDim, keyDim);
                    HalfToFloat(path, (ushort*)v + j * valueStride, vf + j * valueDim, valueDim);
                }
                k = kf; v = vf; ks = keyDim; vs = valueDim;
            }
            for (int h = 0; h < heads; h++)
            {
                float* qh = q + h * qStride, s = scores + h * Block, p = partial + (long)h * rec;
                float bm = Scores(path, qh, k, ks, b, keyDim, scale, s);
                float m = MathF.Max(p[0], bm);
                if (m > p[0] && p[1] != 0)
                {
                    float f = MathF.Exp(p[0] - m);
                    p[1] *= f;
                    TensorPrimitives.Multiply(new ReadOnlySpan<float>(p + 2, valueDim), f, new Span<float>(p + 2, valueDim));
                }
                p[0] = m;
                var span = new Span<float>(s, b);
                TensorPrimitives.Subtract(span, m, span);
                TensorPrimitives.Exp(span, span);
                p[1] += TensorPrimitives.Sum(span);
                Accumulate(path, s, v, vs, b, p + 2, valueDim);
            }
        }
    }

    /// <summary>out[valueDim] = the attention of one head from <paramref name="parts"/> partial results at
    /// first + r*partStride (r &lt; parts).</summary>
    public static void Merge(float* first, int parts, long partStride, int valueDim, float* output)
    {
        float max = float.NegativeInfinity;
        for (int r = 0; r < parts; r++) max = MathF.Max(max, first[r * partStride]);
        float l = 0;
        for (int r = 0; r < parts; r++) l += MathF.Exp(first[r * partStride] - max) * first[r * partStride + 1];
        float inv = 1f / l;
        var o = new Span<float>(output, valueDim);
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(first + 2, valueDim), MathF.Exp(first[0] - max) * inv, o);
        for (int r = 1; r < parts; r++)
        {
            float* p = first + r * partStride;
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(p + 2, valueDim), MathF.Exp(p[0] - max) * inv, o, o);
        }
    }

    /// <summary>dst[n] = float(src[n]) for F16 values (the cache never holds inf/NaN).</summary>
    internal static void HalfToFloat(SimdPath path, ushort* src, float* dst, int n)
    {
        int i = 0;
        if (path == SimdPath.V512)
            for (; i + 16 <= n; i += 16) Simd.HalfToFloat(Vector256.Load(src + i)).Store(dst + i);
        else if (path == SimdPath.V256)
            for (; i + 8 <= n; i += 8) Simd.HalfToFloat(Vector128.Load(src + i)).Store(dst + i);
        for (; i < n; i++) dst[i] = Simd.Half((byte*)(src + i));
    }

    /// <summary>s[j] = scale * q.k_j for j &lt; b (key j at k + j*ks); returns max_j s[j]. Four keys at a time on the
    /// vector paths, so q is loaded once per four keys and four sums are reduced together.</summary>
    internal static float Scores(SimdPath path, float* q, float* k, long ks, int b, int n, float scale, float* s)
    {
        int j = 0;
        float max = float.NegativeInfinity;
        if (path == SimdPath.V512 && n % 16 == 0)
        {
            var vmax = Vector128.Create(float.NegativeInfinity);
            for (; j + 4 <= b; j += 4)
            {
                float* k0 = k + j * ks, k1 = k0 + ks, k2 = k1 + ks, k3 = k2 + ks;
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int i = 0; i < n; i += 16)
                {
                    var qv = Vector512.Load(q + i);
                    a0 = Avx512F.FusedMultiplyAdd(qv, Vector512.Load(k0 + i), a0);
                    a1 = Avx512F.FusedMultiplyAdd(qv, Vector512.Load(k1 + i), a1);
                    a2 = Avx512F.FusedMultiplyAdd(qv, Vector512.Load(k2 + i), a2);
                    a3 = Avx512F.FusedMultiplyAdd(qv, Vector512.Load(k3 + i), a3);
                }
                var sums = Sum4(a0.GetLower() + a0.GetUpper(), a1.GetLower() + a1.GetUpper(),
                                a2.GetLower() + a2.GetUpper(), a3.GetLower() + a3.GetUpper()) * scale;
                sums.Store(s + j);
                vmax = Vector128.Max(vmax, sums);
            }
            max = MathF.Max(MathF.Max(vmax[0], vmax[1]), MathF.Max(vmax[2], vmax[3]));
        }
        else if (path == SimdPath.V256 && n % 8 == 0)
        {
            var vmax = Vector128.Create(float.NegativeInfinity);
            for (; j + 4 <= b; j += 4)
            {
                float* k0 = k + j * ks, k1 = k0 + ks, k2 = k1 + ks, k3 = k2 + ks;
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int i = 0; i < n; i += 8)
                {
                    var qv = Vector256.Load(q + i);
                    a0 = Fma.MultiplyAdd(qv, Vector256.Load(k0 + i), a0);
                    a1 = Fma.MultiplyAdd(qv, Vector256.Load(k1 + i), a1);
                    a2 = Fma.MultiplyAdd(qv, Vector256.Load(k2 + i), a2);
                    a3 = Fma.MultiplyAdd(qv, Vector256.Load(k3 + i), a3);
                }
                var sums = Sum4(a0, a1, a2, a3) * scale;
                sums.Store(s + j);
                vmax = Vector128.Max(vmax, sums);
            }
            max = MathF.Max(MathF.Max(vmax[0], vmax[1]), MathF.Max(vmax[2], vmax[3]));
        }
        for (; j < b; j++)
        {
            float x = Dot(path, q, k + j * ks, n) * scale;
            s[j] = x;
            max = MathF.Max(max, x);
        }
        return max;
    }

    /// <summary>[sum(a), sum(b), sum(c), sum(d)] of four 8-lane vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        var h = Avx.HorizontalAdd(Avx.HorizontalAdd(a, b), Avx.HorizontalAdd(c, d));
        return h.GetLower() + h.GetUpper();
    }

    /// <summary>sum_i a[i] * b[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Dot(SimdPath path, float* a, float* b, int n)
    {
        int i = 0;
        float sum = 0;
        if (path == SimdPath.V512)
        {
            Vector512<float> a0 = default, a1 = default;
            for (; i + 32 <= n; i += 32)
            {
                a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), a0);
                a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), a1);
            }
            for (; i + 16 <= n; i += 16) a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), a0);
            sum = Vector512.Sum(a0 + a1);
        }
        else if (path == SimdPath.V256)
        {
            Vector256<float> a0 = default, a1 = default;
            for (; i + 16 <= n; i += 16)
            {
                a0 = Fma.MultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), a0);
                a1 = Fma.MultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), a1);
            }
            for (; i + 8 <= n; i += 8) a0 = Fma.MultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), a0);
            sum = Vector256.Sum(a0 + a1);
        }
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>acc[d] += sum_j p[j] * v[j*vStride + d] for j &lt; b: 128 (or 64) output lanes in 8 (or 4) registers at
    /// a time, enough independent chains to keep both FMA units busy.</summary>
    internal static void Accumulate(SimdPath path, float* p, float* v, long vStride, int b, float* acc, int n)
    {
        int d = 0;
        if (path == SimdPath.V512)
        {
            for (; d + 128 <= n; d += 128)
            {
                float* a = acc + d, vv = v + d;
                Vector512<float> a0 = Vector512.Load(a), a1 = Vector512.Load(a + 16), a2 = Vector512.Load(a + 32), a3 = Vector512.Load(a + 48),
                                 a4 = Vector512.Load(a + 64), a5 = Vector512.Load(a + 80), a6 = Vector512.Load(a + 96), a7 = Vector512.Load(a + 112);
                for (int j = 0; j < b; j++, vv += vStride)
                {
                    var pj = Vector512.Create(p[j]);
                    a0 = Avx512F.FusedMultiplyAdd(pj, Vector512.Load(vv), a0);
                    a1 = Avx512F.FusedMultiplyAdd(pj, Vector512.Load(vv + 16), a1);
                    a2 = Avx512F.FusedMultiplyAdd(pj, Vector512.Load(vv + 32), a2);
                    a3 = Avx512F.FusedMultiplyAdd(pj, Vector512.Load(vv + 48), a3);
                    a4 = Avx512F.FusedMultiplyAdd(pj, Vector512.Load(vv + 64), a4);
                    a5 = Avx512F.FusedMultiplyAdd(pj, Vector512.Load(vv + 80), a5);
                    a6 = Avx512F.FusedMultiplyAdd(pj, Vector512.Load(vv + 96), a6);
                    a7 = Avx512F.FusedMultiplyAdd(pj, Vector512.Load(vv + 112), a7);
                }
                a0.Store(a); a1.Store(a + 16); a2.Store(a + 32); a3.Store(a + 48);
                a4.Store(a + 64); a5.Store(a + 80); a6.Store(a + 96); a7.Store(a + 112);
            }
            for (; d + 64 <= n; d += 64)
            {
                float* a = acc + d, vv = v + d;
                Vector512<float> a0 = Vector512.Load(a), a1 = Vector512.Load(a + 16), a2 = Vector512.Load(a + 32), a3 = Vector512.Load(a + 48);
                for (int j = 0; j < b; j++, vv += vStride)
                {
                    var pj = Vector512.Create(p[j]);
                    a0 = Avx512F.FusedMultiplyAdd(pj, Vector512.Load(vv), a0);
                    a1 = Avx512F.FusedMultiplyAdd(pj, Vector512.Load(vv + 16), a1);
                    a2 = Avx512F.FusedMultiplyAdd(pj, Vector512.Load(vv + 32), a2);
                    a3 = Avx512F.FusedMultiplyAdd(pj, Vector512.Load(vv + 48), a3);
                }
                a0.Store(a); a1.Store(a + 16); a2.Store(a + 32); a3.Store(a + 48);
            }
            for (; d + 16 <= n; d += 16)
            {
                float* vv = v + d;
                var a0 = Vector512.Load(acc + d);
                for (int j = 0; j < b; j++, vv += vStride) a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[j]), Vector512.Load(vv), a0);
                a0.Store(acc + d);
            }
        }
        else if (path == SimdPath.V256)
        {
            for (; d + 64 <= n; d += 64)
            {
                float* a = acc + d, vv = v + d;
                Vector256<float> a0 = Vector256.Load(a), a1 = Vector256.Load(a + 8), a2 = Vector256.Load(a + 16), a3 = Vector256.Load(a + 24),
                                 a4 = Vector256.Load(a + 32), a5 = Vector256.Load(a + 40), a6 = Vector256.Load(a + 48), a7 = Vector256.Load(a + 56);
                for (int j = 0; j < b; j++, vv += vStride)
                {
                    var pj = Vector256.Create(p[j]);
                    a0 = Fma.MultiplyAdd(pj, Vector256.Load(vv), a0);
                    a1 = Fma.MultiplyAdd(pj, Vector256.Load(vv + 8), a1);
                    a2 = Fma.MultiplyAdd(pj, Vector256.Load(vv + 16), a2);
                    a3 = Fma.MultiplyAdd(pj, Vector256.Load(vv + 24), a3);
                    a4 = Fma.MultiplyAdd(pj, Vector256.Load(vv + 32), a4);
                    a5 = Fma.MultiplyAdd(pj, Vector256.Load(vv + 40), a5);
                    a6 = Fma.MultiplyAdd(pj, Vector256.Load(vv + 48), a6);
                    a7 = Fma.MultiplyAdd(pj, Vector256.Load(vv + 56), a7);
                }
                a0.Store(a); a1.Store(a + 8); a2.Store(a + 16); a3.Store(a + 24);
                a4.Store(a + 32); a5.Store(a + 40); a6.Store(a + 48); a7.Store(a + 56);
            }
            for (; d + 32 <= n; d += 32)
            {
                float* a = acc + d, vv = v + d;
                Vector256<float> a0 = Vector256.Load(a), a1 = Vector256.Load(a + 8), a2 = Vector256.Load(a + 16), a3 = Vector256.Load(a + 24);
                for (int j = 0; j < b; j++, vv += vStride)
                {
                    var pj = Vector256.Create(p[j]);
                    a0 = Fma.MultiplyAdd(pj, Vector256.Load(vv), a0);
                    a1 = Fma.MultiplyAdd(pj, Vector256.Load(vv + 8), a1);
                    a2 = Fma.MultiplyAdd(pj, Vector256.Load(vv + 16), a2);
                    a3 = Fma.MultiplyAdd(pj, Vector256.Load(vv + 24), a3);
                }
                a0.Store(a); a1.Store(a + 8); a2.Store(a + 16); a3.Store(a + 24);
            }
            for (; d + 8 <= n; d += 8)
            {
                float* vv = v + d;
                var a0 = Vector256.Load(acc + d);
                for (int j = 0; j < b; j++, vv += vStride) a0 = Fma.MultiplyAdd(Vector256.Create(p[j]), Vector256.Load(vv), a0);
                a0.Store(acc + d);
            }
        }
        for (; d < n; d++)
        {
            float s = acc[d];
            for (int j = 0; j < b; j++) s += p[j] * v[j * vStride + d];
            acc[d] = s;
        }
    }
}
