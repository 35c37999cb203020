using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q8_0 weight row . Q8_0 activations: sum_b fp16(dw_b) * dx_b * sum_j qw[j]*qx[j].
/// w: blocks * 34 bytes {f16 d; i8 qs[32]}; x: blocks * 32 quants, scales.</summary>
internal static unsafe class DotQ8_0
{
    public static float Dot(byte* w, in ActivationRow x, int blocks)
    {
        if (!Simd.Avx2Path) return Scalar(w, x, blocks);
        sbyte* q = x.Q;
        float* d = x.D;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        int b = 0;
        for (; b + 1 < blocks; b += 2, w += 68, q += 64)
        {
            var p0 = Simd.DotS8S8(Vector256.Load((sbyte*)(w + 2)), Vector256.LoadAligned(q));
            var p1 = Simd.DotS8S8(Vector256.Load((sbyte*)(w + 36)), Vector256.LoadAligned(q + 32));
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p0), Vector256.Create(Simd.Half(w) * d[b]), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p1), Vector256.Create(Simd.Half(w + 34) * d[b + 1]), acc1);
        }
        if (b < blocks)
        {
            var p0 = Simd.DotS8S8(Vector256.Load((sbyte*)(w + 2)), Vector256.LoadAligned(q));
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p0), Vector256.Create(Simd.Half(w) * d[b]), acc0);
        }
        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>Portable reference.</summary>
    internal static float Scalar(byte* w, in ActivationRow x, int blocks)
    {
        sbyte* q = x.Q;
        float* d = x.D;
        float sum = 0;
        for (int b = 0; b < blocks; b++, w += 34, q += 32)
        {
            sbyte* wq = (sbyte*)(w + 2);
            int s = 0;
            for (int j = 0; j < 32; j++) s += wq[j] * q[j];
            sum += Simd.Half(w) * d[b] * s;
        }
        return sum;
    }

    /// <summary>One weight row . four tokens (prefill): each weight block is loaded and unpacked once for all four.
    /// y[t] = Dot(w, x[t]).</summary>
    public static void Dot4(byte* w, ActivationRow* x, int blocks, float* y)
    {
        if (!Simd.Avx2Path)
        {
            for (int t = 0; t < 4; t++) y[t] = Dot(w, x[t], blocks);
            return;
        }
        sbyte* q0 = x[0].Q, q1 = x[1].Q, q2 = x[2].Q, q3 = x[3].Q;
        float* d0 = x[0].D, d1 = x[1].D, d2 = x[2].D, d3 = x[3].D;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int b = 0; b < blocks; b++, w += 34)
        {
            var wv = Vector256.Load((sbyte*)(w + 2));
            var aw = Avx2.Abs(wv);
            float dw = Simd.Half(w);
            int o = b * 32;
            a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Simd.DotU8S8(aw, Avx2.Sign(Vector256.LoadAligned(q0 + o), wv))), Vector256.Create(dw * d0[b]), a0);
            a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Simd.DotU8S8(aw, Avx2.Sign(Vector256.LoadAligned(q1 + o), wv))), Vector256.Create(dw * d1[b]), a1);
            a2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Simd.DotU8S8(aw, Avx2.Sign(Vector256.LoadAligned(q2 + o), wv))), Vector256.Create(dw * d2[b]), a2);
            a3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Simd.DotU8S8(aw, Avx2.Sign(Vector256.LoadAligned(q3 + o), wv))), Vector256.Create(dw * d3[b]), a3);
        }
        y[0] = Vector256.Sum(a0); y[1] = Vector256.Sum(a1); y[2] = Vector256.Sum(a2); y[3] = Vector256.Sum(a3);
    }
}
