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
        if (!Simd.Avx2Path) return Scalar(w, x, blocks);
        sbyte* q = x.Q;
        float* dx = x.D;
        int* bs = x.Sum;
        float offset = 0;
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

    /// <summary>Portable reference.</summary>
    internal static float Scalar(byte* w, in ActivationRow x, int blocks)
    {
        sbyte* q = x.Q;
        float* dx = x.D;
        int* bs = x.Sum;
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

    /// <summary>One weight row . four tokens (prefill): nibbles and scales unpacked once per super-block. y[t] = Dot(w, x[t]).</summary>
    public static void Dot4(byte* w, ActivationRow* x, int blocks, float* y)
    {
        if (!Simd.Avx2Path)
        {
            for (int t = 0; t < 4; t++) y[t] = Dot(w, x[t], blocks);
            return;
        }
        var m4 = Vector256.Create((byte)0x0F);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        float o0 = 0, o1 = 0, o2 = 0, o3 = 0;
        for (int b = 0; b < blocks; b++, w += 144)
        {
            KScales.Unpack(w + 4, out ulong sc, out ulong mn);
            float d = Simd.Half(w), dmin = Simd.Half(w + 2);
            // mins . (bsum pairs) for the four tokens
            var mins = Avx2.ConvertToVector256Int32(Vector128.CreateScalar(mn).AsByte());
            o0 += dmin * x[0].D[b] * MinSum(mins, x[0].Sum + 16 * b);
            o1 += dmin * x[1].D[b] * MinSum(mins, x[1].Sum + 16 * b);
            o2 += dmin * x[2].D[b] * MinSum(mins, x[2].Sum + 16 * b);
            o3 += dmin * x[3].D[b] * MinSum(mins, x[3].Sum + 16 * b);
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            byte* qs = w + 16;
            int o = 256 * b;
            for (int k = 0; k < 4; k++, qs += 32, o += 64)
            {
                var raw = Vector256.Load(qs);
                var lo = raw & m4;
                var hi = (raw.AsUInt16() >> 4).AsByte() & m4;
                var c0 = Vector256.Create((short)((sc >> (16 * k)) & 0xFF));
                var c1 = Vector256.Create((short)((sc >> (16 * k + 8)) & 0xFF));
                s0 = MulAdd(MulAdd(s0, Avx2.MultiplyAddAdjacent(lo, Vector256.LoadAligned(x[0].Q + o)), c0), Avx2.MultiplyAddAdjacent(hi, Vector256.LoadAligned(x[0].Q + o + 32)), c1);
                s1 = MulAdd(MulAdd(s1, Avx2.MultiplyAddAdjacent(lo, Vector256.LoadAligned(x[1].Q + o)), c0), Avx2.MultiplyAddAdjacent(hi, Vector256.LoadAligned(x[1].Q + o + 32)), c1);
                s2 = MulAdd(MulAdd(s2, Avx2.MultiplyAddAdjacent(lo, Vector256.LoadAligned(x[2].Q + o)), c0), Avx2.MultiplyAddAdjacent(hi, Vector256.LoadAligned(x[2].Q + o + 32)), c1);
                s3 = MulAdd(MulAdd(s3, Avx2.MultiplyAddAdjacent(lo, Vector256.LoadAligned(x[3].Q + o)), c0), Avx2.MultiplyAddAdjacent(hi, Vector256.LoadAligned(x[3].Q + o + 32)), c1);
            }
            a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s0), Vector256.Create(d * x[0].D[b]), a0);
            a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s1), Vector256.Create(d * x[1].D[b]), a1);
            a2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s2), Vector256.Create(d * x[2].D[b]), a2);
            a3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s3), Vector256.Create(d * x[3].D[b]), a3);
        }
        y[0] = Vector256.Sum(a0) - o0; y[1] = Vector256.Sum(a1) - o1; y[2] = Vector256.Sum(a2) - o2; y[3] = Vector256.Sum(a3) - o3;
    }

    /// <summary>sum_j mins[j] * (bsum[2j] + bsum[2j+1]) with the 16 per-16 sums of one Q8_K block.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static int MinSum(Vector256<int> mins, int* bsums)
    {
        var lo = Vector256.Load(bsums);      // sums 0..7
        var hi = Vector256.Load(bsums + 8);  // sums 8..15
        var pairs = Avx2.PermuteVar8x32(Avx2.HorizontalAdd(lo, hi), Vector256.Create(0, 1, 4, 5, 2, 3, 6, 7)); // pair j at lane j
        return Vector256.Sum(Avx2.MultiplyLow(pairs, mins));
    }

    /// <summary>acc += pairwise sums of a*b (int16 -> int32): vpdpwssd with AVX-VNNI, else pmaddwd + add.</summary>
    internal static Vector256<int> MulAdd(Vector256<int> acc, Vector256<short> a, Vector256<short> b) =>
        AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(acc, a, b) : acc + Avx2.MultiplyAddAdjacent(a, b);
}
