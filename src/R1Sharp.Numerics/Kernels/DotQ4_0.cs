using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q4_0 weight row . Q8_0 activations: sum_b dw*dx*(sum_j nib_j*qx_j - 8*sum_j qx_j).
/// w: blocks * 18 bytes {f16 d; u8 qs[16]}.</summary>
internal static unsafe class DotQ4_0
{
    public static float Dot(byte* w, in ActivationRow x, int blocks)
    {
        if (!Simd.Avx2Path) return Scalar(w, x, blocks);
        sbyte* q = x.Q;
        float* d = x.D;
        int* sums = x.Sum;
        var acc = Vector256<float>.Zero;
        float offset = 0;
        for (int b = 0; b < blocks; b++, w += 18, q += 32)
        {
            float scale = Simd.Half(w) * d[b];
            var p = Simd.DotU8S8(Simd.Nibbles(Vector128.Load(w + 2)), Vector256.LoadAligned(q));
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(scale), acc);
            offset += scale * sums[b];
        }
        return Vector256.Sum(acc) - 8 * offset;
    }

    /// <summary>Portable reference.</summary>
    internal static float Scalar(byte* w, in ActivationRow x, int blocks)
    {
        sbyte* q = x.Q;
        float* d = x.D;
        int* sums = x.Sum;
        float sum = 0;
        for (int b = 0; b < blocks; b++, w += 18, q += 32)
        {
            int s = 0;
            for (int j = 0; j < 16; j++) s += ((w[2 + j] & 15) - 8) * q[j] + ((w[2 + j] >> 4) - 8) * q[j + 16];
            sum += Simd.Half(w) * d[b] * s;
        }
        return sum;
    }
}
