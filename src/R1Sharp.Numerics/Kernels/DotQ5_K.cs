using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q5_K weight row . Q8_K activations: as Q4_K with a 5th bit per quant (chunk k: bit 2k of qh[l] for the low
/// nibbles, bit 2k+1 for the high ones).
/// w: blocks * 176 bytes {f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}.</summary>
internal static unsafe class DotQ5_K
{
    public static float Dot(byte* w, in ActivationRow x, int blocks)
    {
        if (!Simd.Avx2Path) return Scalar(w, x, blocks);
        sbyte* q = x.Q;
        float* dx = x.D;
        int* bs = x.Sum;
        float offset = 0;
        var acc = Vector256<float>.Zero;
        var m4 = Vector256.Create((byte)0x0F);
        var b16 = Vector256.Create((byte)0x10);
        for (int b = 0; b < blocks; b++, w += 176, q += 256, bs += 16)
        {
            KScales.Unpack(w + 4, out ulong sc, out ulong mn);
            int summ = 0;
            for (int j = 0; j < 8; j++) summ += (int)((mn >> (8 * j)) & 0xFF) * (bs[2 * j] + bs[2 * j + 1]);
            offset += Simd.Half(w + 2) * dx[b] * summ;
            var qh = Vector256.Load(w + 16);
            var sumi = Vector256<int>.Zero;
            byte* qs = w + 48;
            for (int k = 0; k < 4; k++, qs += 32)
            {
                var raw = Vector256.Load(qs);
                var bitLo = Vector256.Create((byte)(1 << (2 * k)));
                var bitHi = Vector256.Create((byte)(2 << (2 * k)));
                var lo = (raw & m4) | (Vector256.Equals(qh & bitLo, bitLo) & b16);
                var hi = ((raw.AsUInt16() >> 4).AsByte() & m4) | (Vector256.Equals(qh & bitHi, bitHi) & b16);
                var p0 = Avx2.MultiplyAddAdjacent(lo, Vector256.LoadAligned(q + 64 * k));
                var p1 = Avx2.MultiplyAddAdjacent(hi, Vector256.LoadAligned(q + 64 * k + 32));
                sumi = DotQ4_K.MulAdd(sumi, p0, Vector256.Create((short)((sc >> (16 * k)) & 0xFF)));
                sumi = DotQ4_K.MulAdd(sumi, p1, Vector256.Create((short)((sc >> (16 * k + 8)) & 0xFF)));
            }
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(Simd.Half(w) * dx[b]), acc);
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
        for (int b = 0; b < blocks; b++, w += 176, q += 256, bs += 16)
        {
            KScales.Unpack(w + 4, out ulong sc, out ulong mn);
            byte* qh = w + 16;
            byte* qs = w + 48;
            int sumi = 0, summ = 0;
            for (int k = 0; k < 4; k++, qs += 32)
            {
                int s0 = 0, s1 = 0;
                for (int l = 0; l < 32; l++)
                {
                    s0 += ((qs[l] & 15) | (((qh[l] >> (2 * k)) & 1) << 4)) * q[64 * k + l];
                    s1 += ((qs[l] >> 4) | (((qh[l] >> (2 * k + 1)) & 1) << 4)) * q[64 * k + 32 + l];
                }
                sumi += s0 * (int)((sc >> (16 * k)) & 0xFF) + s1 * (int)((sc >> (16 * k + 8)) & 0xFF);
            }
            for (int j = 0; j < 8; j++) summ += (int)((mn >> (8 * j)) & 0xFF) * (bs[2 * j] + bs[2 * j + 1]);
            sum += Simd.Half(w) * dx[b] * sumi - Simd.Half(w + 2) * dx[b] * summ;
        }
        return sum;
    }
}
