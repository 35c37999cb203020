using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Float weight rows . float activations: sum_c w[c]*x[c] for w in F32, F16 or BF16 (x already rounded to
/// the weight's type, like llama.cpp's vec_dot_f16/bf16), accumulated in float32 lanes.</summary>
internal static unsafe class DotFloat
{
    public static float F32(float* w, float* x, int n)
    {
        int i = 0;
        float sum = 0;
        if (Simd.Avx2Path)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 32 <= n; i += 32)
            {
                a0 = Fma.MultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), a0);
                a1 = Fma.MultiplyAdd(Vector256.Load(w + i + 8), Vector256.Load(x + i + 8), a1);
                a2 = Fma.MultiplyAdd(Vector256.Load(w + i + 16), Vector256.Load(x + i + 16), a2);
                a3 = Fma.MultiplyAdd(Vector256.Load(w + i + 24), Vector256.Load(x + i + 24), a3);
            }
            for (; i + 8 <= n; i += 8) a0 = Fma.MultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), a0);
            sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        for (; i < n; i++) sum += w[i] * x[i];
        return sum;
    }

    public static float F16(ushort* w, float* x, int n)
    {
        int i = 0;
        float sum = 0;
        if (Simd.Avx2Path)
        {
            Vector256<float> a0 = default, a1 = default;
            for (; i + 16 <= n; i += 16)
            {
                a0 = Fma.MultiplyAdd(Simd.HalfToFloat(Vector128.Load(w + i)), Vector256.Load(x + i), a0);
                a1 = Fma.MultiplyAdd(Simd.HalfToFloat(Vector128.Load(w + i + 8)), Vector256.Load(x + i + 8), a1);
            }
            for (; i + 8 <= n; i += 8) a0 = Fma.MultiplyAdd(Simd.HalfToFloat(Vector128.Load(w + i)), Vector256.Load(x + i), a0);
            sum = Vector256.Sum(a0 + a1);
        }
        for (; i < n; i++) sum += FloatConversions.HalfToFloat(w[i]) * x[i];
        return sum;
    }

    public static float BF16(ushort* w, float* x, int n)
    {
        int i = 0;
        float sum = 0;
        if (Simd.Avx2Path)
        {
            Vector256<float> a0 = default, a1 = default;
            for (; i + 16 <= n; i += 16)
            {
                a0 = Fma.MultiplyAdd(Simd.BF16ToFloat(Vector128.Load(w + i)), Vector256.Load(x + i), a0);
                a1 = Fma.MultiplyAdd(Simd.BF16ToFloat(Vector128.Load(w + i + 8)), Vector256.Load(x + i + 8), a1);
            }
            for (; i + 8 <= n; i += 8) a0 = Fma.MultiplyAdd(Simd.BF16ToFloat(Vector128.Load(w + i)), Vector256.Load(x + i), a0);
            sum = Vector256.Sum(a0 + a1);
        }
        for (; i < n; i++) sum += FloatConversions.BF16ToFloat(w[i]) * x[i];
        return sum;
    }
}
