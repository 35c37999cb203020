using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q4_K weight row . Q8_K activations. Per super-block of 256:
///   d*dx * sum_j sc_j * sum_{l&lt;32} q4*qx  -  dmin*dx * sum_j m_j * (bsum_2j + bsum_2j+1)
/// w: blocks * 144 bytes {f16 d, dmin; u8 scales[12]; u8 qs[128]} (qs chunk k: low nibbles = sub-block 2k, high = 2k+1).</summary>
internal static unsafe class DotQ4_K
{
    public static float Dot(byte* w, in ActivationRow x, int blocks)
    {
        sbyte* q = x.Q;
        float* dx = x.D;
        int* bs = x.Sum;
        float offset = 0;
        if (Simd.Avx2Path)
        {
            var acc = Vector256<float>.Zero;
            var m4 = Vector256.Create((byte)0x0F);
            for (int b = 0; b < blocks; b++, w += 144, q += 256, bs += 16)
            {
                KScales.Unpack(w + 4, out ulong sc, out ulong mn);
                int summ = 0;
                for (int j = 0; j < 8; j++) summ += (int)((mn >> (8 * j)) & 0xFF) * (bs[2 * j] + bs[2 * j + 1]);
                offset += Simd.Half(w + 2) * dx[b] * summ;
                var sumi = Vector256<int>.Zero;
                byte* qs = w + 16;
                for (int k = 0; k < 4; k++, qs += 32)
                {
                    var raw = Vector256.Load(qs);
                    var lo = raw & m4;
                    var hi = (raw.AsUInt16() >> 4).AsByte() & m4;
                    var p0 = Avx2.MultiplyAddAdjacent(lo, Vector256.LoadAligned(q + 64 * k));
                    var p1 = Avx2.MultiplyAddAdjacent(hi, Vector256.LoadAligned(q + 64 * k + 32));
                    var s0 = Vector256.Create((short)((sc >> (16 * k)) & 0xFF));
                    var s1 = Vector256.Create((short)((sc >> (16 * k + 8)) & 0xFF));
                    sumi = MulAdd(sumi, p0, s0);
                    sumi = MulAdd(sumi, p1, s1);
                }
                acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(Simd.Half(w) * dx[b]), acc);
            }
            return Vector256.Sum(acc) - offset;
        }
        float sum = 0;
        for (int b = 0; b < blocks; b++, w += 144, q += 256, bs += 16)
        {
            KScales.Unpack(w + 4, out ulong sc, out ulong mn);
            int sumi = 0, summ = 0;
            byte* qs = w + 16;
            for (int k = 0; k < 4; k++, qs += 32)
            {
                int s0 = 0, s1 = 0;
                for (int l = 0; l < 32; l++)
                {
                    s0 += (qs[l] & 15) * q[64 * k + l];
                    s1 += (qs[l] >> 4) * q[64 * k + 32 + l];
                }
                sumi += s0 * (int)((sc >> (16 * k)) & 0xFF) + s1 * (int)((sc >> (16 * k + 8)) & 0xFF);
            }
            for (int j = 0; j < 8; j++) summ += (int)((mn >> (8 * j)) & 0xFF) * (bs[2 * j] + bs[2 * j + 1]);
            sum += Simd.Half(w) * dx[b] * sumi - Simd.Half(w + 2) * dx[b] * summ;
        }
        return sum;
    }

    /// <summary>acc += pairwise sums of a*b (int16 -> int32): vpdpwssd with AVX-VNNI, else pmaddwd + add.</summary>
    internal static Vector256<int> MulAdd(Vector256<int> acc, Vector256<short> a, Vector256<short> b) =>
        AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(acc, a, b) : acc + Avx2.MultiplyAddAdjacent(a, b);
}
