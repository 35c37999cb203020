using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q5_1 weight row . Q8_1 activations: sum_b dw*dx*sum_j q5_j*qx_j + mw*sx.
/// w: blocks * 24 bytes {f16 d, m; u32 qh; u8 qs[16]}.</summary>
internal static unsafe class DotQ5_1
{
    public static float Dot(byte* w, in ActivationRow x, int blocks)
    {
        if (!Simd.Avx2Path) return Scalar(w, x, blocks);
        sbyte* q = x.Q;
        float* d = x.D;
        float* sx = x.S;
        float offset = 0;
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++, w += 24, q += 32)
        {
            var u = Simd.Nibbles(Vector128.Load(w + 8)) | Simd.HighBits(*(uint*)(w + 4));
            var p = Simd.DotU8S8(u, Vector256.LoadAligned(q));
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(Simd.Half(w) * d[b]), acc);
            offset += Simd.Half(w + 2) * sx[b];
        }
        return Vector256.Sum(acc) + offset;
    }

    /// <summary>Portable reference.</summary>
    internal static float Scalar(byte* w, in ActivationRow x, int blocks)
    {
        sbyte* q = x.Q;
        float* d = x.D;
        float* sx = x.S;
        float sum = 0;
        for (int b = 0; b < blocks; b++, w += 24, q += 32)
        {
            uint qh = *(uint*)(w + 4);
            int s = 0;
            for (int j = 0; j < 16; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
                s += ((w[8 + j] & 15) | h0) * q[j] + ((w[8 + j] >> 4) | h1) * q[j + 16];
            }
            sum += Simd.Half(w) * d[b] * s + Simd.Half(w + 2) * sx[b];
        }
        return sum;
    }
}
