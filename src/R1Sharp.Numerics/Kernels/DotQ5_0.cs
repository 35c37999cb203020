using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q5_0 weight row . Q8_0 activations: sum_b dw*dx*(sum_j q5_j*qx_j - 16*sum_j qx_j), q5 = nibble | bit_j(qh)&lt;&lt;4.
/// w: blocks * 22 bytes {f16 d; u32 qh; u8 qs[16]}.</summary>
internal static unsafe class DotQ5_0
{
    public static float Dot(byte* w, in ActivationRow x, int blocks)
    {
        if (!Simd.Avx2Path) return Scalar(w, x, blocks);
        sbyte* q = x.Q;
        float* d = x.D;
        int* sums = x.Sum;
        var acc = Vector256<float>.Zero;
        float offset = 0;
        for (int b = 0; b < blocks; b++, w += 22, q += 32)
        {
            float scale = Simd.Half(w) * d[b];
            var u = Simd.Nibbles(Vector128.Load(w + 6)) | Simd.HighBits(*(uint*)(w + 2));
            var p = Simd.DotU8S8(u, Vector256.LoadAligned(q));
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(scale), acc);
            offset += scale * sums[b];
        }
        return Vector256.Sum(acc) - 16 * offset;
    }

    /// <summary>Portable reference.</summary>
    internal static float Scalar(byte* w, in ActivationRow x, int blocks)
    {
        sbyte* q = x.Q;
        float* d = x.D;
        int* sums = x.Sum;
        float sum = 0;
        for (int b = 0; b < blocks; b++, w += 22, q += 32)
        {
            uint qh = *(uint*)(w + 2);
            int s = 0;
            for (int j = 0; j < 16; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
                s += (((w[6 + j] & 15) | h0) - 16) * q[j] + (((w[6 + j] >> 4) | h1) - 16) * q[j + 16];
            }
            sum += Simd.Half(w) * d[b] * s;
        }
        return sum;
    }
}
