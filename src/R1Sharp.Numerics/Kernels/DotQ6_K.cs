using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q6_K weight row . Q8_K activations: d*dx * sum_j sc_j * (sum_{16} q6*qx - 32*bsum_j), q6 in 0..63.
/// w: blocks * 210 bytes {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}. Half n (128 values): ql[64n..], qh[32n..];
/// value l (0..31) of quarter i: low 4 bits from ql[l + 32*(i&amp;1)] (nibble i/2), high 2 bits from qh[l] bits 2i.</summary>
internal static unsafe class DotQ6_K
{
    public static float Dot(byte* w, in ActivationRow x, int blocks)
    {
        if (!Simd.Avx2Path) return Scalar(w, x, blocks);
        sbyte* q = x.Q;
        float* dx = x.D;
        int* bs = x.Sum;
        var acc = Vector256<float>.Zero;
        var m4 = Vector256.Create((byte)0x0F);
        var m3 = Vector256.Create((byte)0x03);
        float offset = 0;
        for (int b = 0; b < blocks; b++, w += 210, q += 256, bs += 16)
        {
            sbyte* sc = (sbyte*)(w + 192);
            float d = Simd.Half(w + 208) * dx[b];
            int summ = 0;
            for (int j = 0; j < 16; j++) summ += sc[j] * bs[j];
            offset += d * 32 * summ;
            var sumi = Vector256<int>.Zero;
            for (int n = 0; n < 2; n++)
            {
                byte* ql = w + 64 * n;
                var qh = Vector256.Load(w + 128 + 32 * n);
                var qla = Vector256.Load(ql);
                var qlb = Vector256.Load(ql + 32);
                sbyte* qq = q + 128 * n;
                sbyte* s = sc + 8 * n;
                var q1 = (qla & m4) | ((qh & m3).AsUInt16() << 4).AsByte();
                var q2 = (qlb & m4) | (((qh.AsUInt16() >> 2).AsByte() & m3).AsUInt16() << 4).AsByte();
                var q3 = ((qla.AsUInt16() >> 4).AsByte() & m4) | (((qh.AsUInt16() >> 4).AsByte() & m3).AsUInt16() << 4).AsByte();
                var q4 = ((qlb.AsUInt16() >> 4).AsByte() & m4) | (((qh.AsUInt16() >> 6).AsByte() & m3).AsUInt16() << 4).AsByte();
                sumi = DotQ4_K.MulAdd(sumi, Avx2.MultiplyAddAdjacent(q1, Vector256.LoadAligned(qq)), Scales(s[0], s[1]));
                sumi = DotQ4_K.MulAdd(sumi, Avx2.MultiplyAddAdjacent(q2, Vector256.LoadAligned(qq + 32)), Scales(s[2], s[3]));
                sumi = DotQ4_K.MulAdd(sumi, Avx2.MultiplyAddAdjacent(q3, Vector256.LoadAligned(qq + 64)), Scales(s[4], s[5]));
                sumi = DotQ4_K.MulAdd(sumi, Avx2.MultiplyAddAdjacent(q4, Vector256.LoadAligned(qq + 96)), Scales(s[6], s[7]));
            }
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(d), acc);
        }
        return Vector256.Sum(acc) - offset;
    }

    /// <summary>Portable reference.</summary>
    internal static float Scalar(byte* w, in ActivationRow x, int blocks)
    {
        sbyte* q = x.Q;
        float* dx = x.D;
        int* bs = x.Sum;
        float sum = 0;
        for (int b = 0; b < blocks; b++, w += 210, q += 256, bs += 16)
        {
            sbyte* sc = (sbyte*)(w + 192);
            int sumi = 0;
            for (int n = 0; n < 2; n++)
            {
                byte* ql = w + 64 * n;
                byte* qh = w + 128 + 32 * n;
                sbyte* qq = q + 128 * n;
                for (int l = 0; l < 32; l++)
                {
                    int s = n * 8 + l / 16;
                    int q1 = ((ql[l] & 15) | ((qh[l] & 3) << 4)) - 32;
                    int q2 = ((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    sumi += sc[s] * q1 * qq[l] + sc[s + 2] * q2 * qq[l + 32] + sc[s + 4] * q3 * qq[l + 64] + sc[s + 6] * q4 * qq[l + 96];
                }
            }
            sum += Simd.Half(w + 208) * dx[b] * sumi;
        }
        return sum;
    }

    /// <summary>One weight row . four tokens (prefill): 6-bit quants unpacked once per half block. y[t] = Dot(w, x[t]).</summary>
    public static void Dot4(byte* w, ActivationRow* x, int blocks, float* y)
    {
        if (!Simd.Avx2Path)
        {
            for (int t = 0; t < 4; t++) y[t] = Dot(w, x[t], blocks);
            return;
        }
        var m4 = Vector256.Create((byte)0x0F);
        var m3 = Vector256.Create((byte)0x03);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        float o0 = 0, o1 = 0, o2 = 0, o3 = 0;
        for (int b = 0; b < blocks; b++, w += 210)
        {
            sbyte* sc = (sbyte*)(w + 192);
            float d = Simd.Half(w + 208);
            var scales = Avx2.ConvertToVector256Int16(Vector128.Load(sc));
            o0 += d * x[0].D[b] * 32 * ScaleSum(scales, x[0].Sum + 16 * b);
            o1 += d * x[1].D[b] * 32 * ScaleSum(scales, x[1].Sum + 16 * b);
            o2 += d * x[2].D[b] * 32 * ScaleSum(scales, x[2].Sum + 16 * b);
            o3 += d * x[3].D[b] * 32 * ScaleSum(scales, x[3].Sum + 16 * b);
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int n = 0; n < 2; n++)
            {
                byte* ql = w + 64 * n;
                var qh = Vector256.Load(w + 128 + 32 * n);
                var qla = Vector256.Load(ql);
                var qlb = Vector256.Load(ql + 32);
                sbyte* s = sc + 8 * n;
                int o = 256 * b + 128 * n;
                var q1 = (qla & m4) | ((qh & m3).AsUInt16() << 4).AsByte();
                var q2 = (qlb & m4) | (((qh.AsUInt16() >> 2).AsByte() & m3).AsUInt16() << 4).AsByte();
                var q3 = ((qla.AsUInt16() >> 4).AsByte() & m4) | (((qh.AsUInt16() >> 4).AsByte() & m3).AsUInt16() << 4).AsByte();
                var q4 = ((qlb.AsUInt16() >> 4).AsByte() & m4) | (((qh.AsUInt16() >> 6).AsByte() & m3).AsUInt16() << 4).AsByte();
                var c1 = Scales(s[0], s[1]); var c2 = Scales(s[2], s[3]); var c3 = Scales(s[4], s[5]); var c4 = Scales(s[6], s[7]);
                s0 = Quarter4(s0, q1, q2, q3, q4, c1, c2, c3, c4, x[0].Q + o);
                s1 = Quarter4(s1, q1, q2, q3, q4, c1, c2, c3, c4, x[1].Q + o);
                s2 = Quarter4(s2, q1, q2, q3, q4, c1, c2, c3, c4, x[2].Q + o);
                s3 = Quarter4(s3, q1, q2, q3, q4, c1, c2, c3, c4, x[3].Q + o);
            }
            a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s0), Vector256.Create(d * x[0].D[b]), a0);
            a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s1), Vector256.Create(d * x[1].D[b]), a1);
            a2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s2), Vector256.Create(d * x[2].D[b]), a2);
            a3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s3), Vector256.Create(d * x[3].D[b]), a3);
        }
        y[0] = Vector256.Sum(a0) - o0; y[1] = Vector256.Sum(a1) - o1; y[2] = Vector256.Sum(a2) - o2; y[3] = Vector256.Sum(a3) - o3;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Quarter4(Vector256<int> acc, Vector256<byte> q1, Vector256<byte> q2, Vector256<byte> q3, Vector256<byte> q4,
        Vector256<short> c1, Vector256<short> c2, Vector256<short> c3, Vector256<short> c4, sbyte* qq)
    {
        acc = DotQ4_K.MulAdd(acc, Avx2.MultiplyAddAdjacent(q1, Vector256.LoadAligned(qq)), c1);
        acc = DotQ4_K.MulAdd(acc, Avx2.MultiplyAddAdjacent(q2, Vector256.LoadAligned(qq + 32)), c2);
        acc = DotQ4_K.MulAdd(acc, Avx2.MultiplyAddAdjacent(q3, Vector256.LoadAligned(qq + 64)), c3);
        return DotQ4_K.MulAdd(acc, Avx2.MultiplyAddAdjacent(q4, Vector256.LoadAligned(qq + 96)), c4);
    }

    /// <summary>sum_j sc[j] * bsum[j] over the 16 sub-blocks (scales as int16 lanes).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int ScaleSum(Vector256<short> scales, int* bsums)
    {
        var lo = Avx2.ConvertToVector256Int32(scales.GetLower());
        var hi = Avx2.ConvertToVector256Int32(scales.GetUpper());
        return Vector256.Sum(Avx2.MultiplyLow(lo, Vector256.Load(bsums)) + Avx2.MultiplyLow(hi, Vector256.Load(bsums + 8)));
    }

    // int16 lanes 0..7 (values 0..15 of a quarter) use scale a, lanes 8..15 (values 16..31) scale b
    private static Vector256<short> Scales(sbyte a, sbyte b) => Vector256.Create(Vector128.Create((short)a), Vector128.Create((short)b));
}
