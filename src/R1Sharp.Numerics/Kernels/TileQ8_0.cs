using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static R1Sharp.Numerics.Kernels.TileSimd;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q8_0 row tiles (<see cref="RowTiles"/>) . Q8_0 activations, 16 rows x 1 or 4 tokens:
/// y[t*ldy + i] = sum_b d_i,b * dx_t,b * sum_j w_i,j * q_t,j.
/// vpmaddubsw needs an unsigned operand whose products stay within int16, so the 512-bit path splits each weight into
/// nibbles: w = 16*(hi - 8) + lo with lo = w &amp; 15 and hi = (w &gt;&gt; 4 &amp; 15) ^ 8 (both 0..15), so
/// w.q = 16*(hi.q) + lo.q - 128*sum(q). The 256-bit path with AVX-VNNI uses vpdpbusd on w ^ 0x80 = w + 128:
/// w.q = (w+128).q - 128*sum(q).</summary>
internal static unsafe class TileQ8_0
{
    public static void Dot512(byte* t, int blocks, ActivationRow* x, int tokens, float* y, long ldy)
    {
        if (tokens == 4) { Four512(t, blocks, x, y, ldy); return; }
        for (int k = 0; k < tokens; k++) One512(t, blocks, x[k], y + k * ldy);
    }

    public static void Dot256(byte* t, int blocks, ActivationRow* x, int tokens, float* y, long ldy)
    {
        for (int h = 0; h < 2; h++)
        {
            if (tokens == 4) { Four256(t, h, blocks, x, y + 8 * h, ldy); continue; }
            for (int k = 0; k < tokens; k++) One256(t, h, blocks, x[k], y + k * ldy + 8 * h);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> HiBiased(Vector512<byte> w) => Hi(w) ^ Vector512.Create((byte)8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Combine(Vector512<short> lo, Vector512<short> hi, int sum) =>
        Avx512BW.MultiplyAddAdjacent(hi, Vector512.Create((short)16)) + Widen(lo) - Vector512.Create(128 * sum);

    private static void One512(byte* t, int blocks, in ActivationRow x, float* y)
    {
        sbyte* q = x.Q; float* dx = x.D; int* sum = x.Sum;
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < blocks; b++, t += 544, q += 32)
        {
            var dw = Simd.HalfToFloat(Vector256.Load((ushort*)t));
            Vector512<short> lo = default, hi = default;
            for (int g = 0; g < 8; g++)
            {
                var w = Vector512.Load(t + 32 + 64 * g);
                var xb = B512(q + 4 * g);
                lo += Avx512BW.MultiplyAddAdjacent(Lo(w), xb);
                hi += Avx512BW.MultiplyAddAdjacent(HiBiased(w), xb);
            }
            acc = AddScaled(Combine(lo, hi, sum[b]), dw * dx[b], acc);
        }
        acc.Store(y);
    }

    private static void Four512(byte* t, int blocks, ActivationRow* x, float* y, long ldy)
    {
        sbyte* q0 = x[0].Q, q1 = x[1].Q, q2 = x[2].Q, q3 = x[3].Q;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int b = 0; b < blocks; b++, t += 544)
        {
            var dw = Simd.HalfToFloat(Vector256.Load((ushort*)t));
            Vector512<short> l0 = default, l1 = default, l2 = default, l3 = default, h0 = default, h1 = default, h2 = default, h3 = default;
            int o = 32 * b;
            for (int g = 0; g < 8; g++, o += 4)
            {
                var w = Vector512.Load(t + 32 + 64 * g);
                var lo = Lo(w);
                var hi = HiBiased(w);
                var x0 = B512(q0 + o); var x1 = B512(q1 + o); var x2 = B512(q2 + o); var x3 = B512(q3 + o);
                l0 += Avx512BW.MultiplyAddAdjacent(lo, x0); h0 += Avx512BW.MultiplyAddAdjacent(hi, x0);
                l1 += Avx512BW.MultiplyAddAdjacent(lo, x1); h1 += Avx512BW.MultiplyAddAdjacent(hi, x1);
                l2 += Avx512BW.MultiplyAddAdjacent(lo, x2); h2 += Avx512BW.MultiplyAddAdjacent(hi, x2);
                l3 += Avx512BW.MultiplyAddAdjacent(lo, x3); h3 += Avx512BW.MultiplyAddAdjacent(hi, x3);
            }
            a0 = AddScaled(Combine(l0, h0, x[0].Sum[b]), dw * x[0].D[b], a0);
            a1 = AddScaled(Combine(l1, h1, x[1].Sum[b]), dw * x[1].D[b], a1);
            a2 = AddScaled(Combine(l2, h2, x[2].Sum[b]), dw * x[2].D[b], a2);
            a3 = AddScaled(Combine(l3, h3, x[3].Sum[b]), dw * x[3].D[b], a3);
        }
        a0.Store(y); a1.Store(y + ldy); a2.Store(y + 2 * ldy); a3.Store(y + 3 * ldy);
    }

    // rows 8h..8h+7: scales at t + 16h, their half of each group at + 32h
    private static void One256(byte* t, int h, int blocks, in ActivationRow x, float* y)
    {
        sbyte* q = x.Q; float* dx = x.D; int* sum = x.Sum;
        var acc = Vector256<float>.Zero;
        byte* g = t + 32 + 32 * h;
        for (int b = 0; b < blocks; b++, t += 544, g += 544, q += 32)
        {
            var dw = Simd.HalfToFloat(Vector128.Load((ushort*)(t + 16 * h)));
            acc = AddScaled(Block256(g, q, sum[b]), dw * dx[b], acc);
        }
        acc.Store(y);
    }

    private static void Four256(byte* t, int h, int blocks, ActivationRow* x, float* y, long ldy)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        byte* g = t + 32 + 32 * h;
        for (int b = 0; b < blocks; b++, t += 544, g += 544)
        {
            var dw = Simd.HalfToFloat(Vector128.Load((ushort*)(t + 16 * h)));
            int o = 32 * b;
            a0 = AddScaled(Block256(g, x[0].Q + o, x[0].Sum[b]), dw * x[0].D[b], a0);
            a1 = AddScaled(Block256(g, x[1].Q + o, x[1].Sum[b]), dw * x[1].D[b], a1);
            a2 = AddScaled(Block256(g, x[2].Q + o, x[2].Sum[b]), dw * x[2].D[b], a2);
            a3 = AddScaled(Block256(g, x[3].Q + o, x[3].Sum[b]), dw * x[3].D[b], a3);
        }
        a0.Store(y); a1.Store(y + ldy); a2.Store(y + 2 * ldy); a3.Store(y + 3 * ldy);
    }

    /// <summary>One block of 8 rows: int32 sums w.q per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Block256(byte* g, sbyte* q, int sum)
    {
        if (AvxVnni.IsSupported)
        {
            var bias = Vector256.Create((byte)0x80);
            Vector256<int> s0 = default, s1 = default;
            for (int k = 0; k < 8; k += 2)
            {
                s0 = AvxVnni.MultiplyWideningAndAdd(s0, Vector256.Load(g + 64 * k) ^ bias, B256(q + 4 * k));
                s1 = AvxVnni.MultiplyWideningAndAdd(s1, Vector256.Load(g + 64 * k + 64) ^ bias, B256(q + 4 * k + 4));
            }
            return s0 + s1 - Vector256.Create(128 * sum);
        }
        Vector256<short> lo = default, hi = default;
        for (int k = 0; k < 8; k++)
        {
            var w = Vector256.Load(g + 64 * k);
            var xb = B256(q + 4 * k);
            lo += Avx2.MultiplyAddAdjacent(Lo(w), xb);
            hi += Avx2.MultiplyAddAdjacent(Hi(w) ^ Vector256.Create((byte)8), xb);
        }
        return Avx2.MultiplyAddAdjacent(hi, Vector256.Create((short)16)) + Widen(lo) - Vector256.Create(128 * sum);
    }
}
