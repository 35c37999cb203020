using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q4_1 weight row . Q8_1 activations: sum_b dw*dx*sum_j nib_j*qx_j + mw*sx (sx = fp16(dx*sum qx)).
/// w: blocks * 20 bytes {f16 d, m; u8 qs[16]}.</summary>
internal static unsafe class DotQ4_1
{
    public static float Dot(byte* w, in ActivationRow x, int blocks)
    {
        if (!Simd.Avx2Path) return Scalar(w, x, blocks);
        sbyte* q = x.Q;
        float* d = x.D;
        float* sx = x.S;
        float offset = 0;
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++, w += 20, q += 32)
        {
            var p = Simd.DotU8S8(Simd.Nibbles(Vector128.Load(w + 4)), Vector256.LoadAligned(q));
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
        for (int b = 0; b < blocks; b++, w += 20, q += 32)
        {
            int s = 0;
            for (int j = 0; j < 16; j++) s += (w[4 + j] & 15) * q[j] + (w[4 + j] >> 4) * q[j + 16];
            sum += Simd.Half(w) * d[b] * s + Simd.Half(w + 2) * sx[b];
        }
        return sum;
    }
}
