using System.Runtime.Intrinsics;
using static R1Sharp.Numerics.Kernels.TileSimd;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q4_0 row tiles (<see cref="RowTiles"/>) . Q8_0 activations, 16 rows x 1 or 4 tokens:
/// y[t*ldy + i] = sum_b d_i,b * dx_t,b * (sum_j nib_i,j * q_t,j - 8 * sum_j q_t,j).</summary>
internal static unsafe class TileQ4_0
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

    private static void One512(byte* t, int blocks, in ActivationRow x, float* y)
    {
        sbyte* q = x.Q; float* dx = x.D; int* sum = x.Sum;
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < blocks; b++, t += 288, q += 32)
        {
            var dw = Simd.HalfToFloat(Vector256.Load((ushort*)t));
            var r0 = Vector512.Load(t + 32); var r1 = Vector512.Load(t + 96);
            var r2 = Vector512.Load(t + 160); var r3 = Vector512.Load(t + 224);
            var s = ((Mul(Lo(r0), q) + Mul(Lo(r1), q + 4)) + (Mul(Lo(r2), q + 8) + Mul(Lo(r3), q + 12)))
                  + ((Mul(Hi(r0), q + 16) + Mul(Hi(r1), q + 20)) + (Mul(Hi(r2), q + 24) + Mul(Hi(r3), q + 28)));
            acc = AddScaled(Widen(s) - Vector512.Create(8 * sum[b]), dw * dx[b], acc);
        }
        acc.Store(y);
    }

    private static void Four512(byte* t, int blocks, ActivationRow* x, float* y, long ldy)
    {
        sbyte* q0 = x[0].Q, q1 = x[1].Q, q2 = x[2].Q, q3 = x[3].Q;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int b = 0; b < blocks; b++, t += 288)
        {
            var dw = Simd.HalfToFloat(Vector256.Load((ushort*)t));
            var r0 = Vector512.Load(t + 32); var r1 = Vector512.Load(t + 96);
            var r2 = Vector512.Load(t + 160); var r3 = Vector512.Load(t + 224);
            var l0 = Lo(r0); var l1 = Lo(r1); var l2 = Lo(r2); var l3 = Lo(r3);
            var h0 = Hi(r0); var h1 = Hi(r1); var h2 = Hi(r2); var h3 = Hi(r3);
            int o = 32 * b;
            a0 = Token(l0, l1, l2, l3, h0, h1, h2, h3, q0 + o, x[0].Sum[b], dw * x[0].D[b], a0);
            a1 = Token(l0, l1, l2, l3, h0, h1, h2, h3, q1 + o, x[1].Sum[b], dw * x[1].D[b], a1);
            a2 = Token(l0, l1, l2, l3, h0, h1, h2, h3, q2 + o, x[2].Sum[b], dw * x[2].D[b], a2);
            a3 = Token(l0, l1, l2, l3, h0, h1, h2, h3, q3 + o, x[3].Sum[b], dw * x[3].D[b], a3);
        }
        a0.Store(y); a1.Store(y + ldy); a2.Store(y + 2 * ldy); a3.Store(y + 3 * ldy);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Token(Vector512<byte> l0, Vector512<byte> l1, Vector512<byte> l2, Vector512<byte> l3,
        Vector512<byte> h0, Vector512<byte> h1, Vector512<byte> h2, Vector512<byte> h3, sbyte* q, int sum, Vector512<float> scale, Vector512<float> acc)
    {
        var s = ((Mul(l0, q) + Mul(l1, q + 4)) + (Mul(l2, q + 8) + Mul(l3, q + 12)))
              + ((Mul(h0, q + 16) + Mul(h1, q + 20)) + (Mul(h2, q + 24) + Mul(h3, q + 28)));
        return AddScaled(Widen(s) - Vector512.Create(8 * sum), scale, acc);
    }

    // rows 8h..8h+7: their scales at t + 16h, their half of each group at + 32h
    private static void One256(byte* t, int h, int blocks, in ActivationRow x, float* y)
    {
        sbyte* q = x.Q; float* dx = x.D; int* sum = x.Sum;
        var acc = Vector256<float>.Zero;
        byte* g = t + 32 + 32 * h;
        for (int b = 0; b < blocks; b++, t += 288, g += 288, q += 32)
        {
            var dw = Simd.HalfToFloat(Vector128.Load((ushort*)(t + 16 * h)));
            var r0 = Vector256.Load(g); var r1 = Vector256.Load(g + 64);
            var r2 = Vector256.Load(g + 128); var r3 = Vector256.Load(g + 192);
            var lo = Dp(Dp(Dp(Dp(Vector256<int>.Zero, Lo(r0), q), Lo(r1), q + 4), Lo(r2), q + 8), Lo(r3), q + 12);
            var hi = Dp(Dp(Dp(Dp(Vector256<int>.Zero, Hi(r0), q + 16), Hi(r1), q + 20), Hi(r2), q + 24), Hi(r3), q + 28);
            acc = AddScaled(lo + hi - Vector256.Create(8 * sum[b]), dw * dx[b], acc);
        }
        acc.Store(y);
    }

    private static void Four256(byte* t, int h, int blocks, ActivationRow* x, float* y, long ldy)
    {
        sbyte* q0 = x[0].Q, q1 = x[1].Q, q2 = x[2].Q, q3 = x[3].Q;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        byte* g = t + 32 + 32 * h;
        for (int b = 0; b < blocks; b++, t += 288, g += 288)
        {
            var dw = Simd.HalfToFloat(Vector128.Load((ushort*)(t + 16 * h)));
            var r0 = Vector256.Load(g); var r1 = Vector256.Load(g + 64);
            var r2 = Vector256.Load(g + 128); var r3 = Vector256.Load(g + 192);
            var l0 = Lo(r0); var l1 = Lo(r1); var l2 = Lo(r2); var l3 = Lo(r3);
            var h0 = Hi(r0); var h1 = Hi(r1); var h2 = Hi(r2); var h3 = Hi(r3);
            int o = 32 * b;
            a0 = Token(l0, l1, l2, l3, h0, h1, h2, h3, q0 + o, x[0].Sum[b], dw * x[0].D[b], a0);
            a1 = Token(l0, l1, l2, l3, h0, h1, h2, h3, q1 + o, x[1].Sum[b], dw * x[1].D[b], a1);
            a2 = Token(l0, l1, l2, l3, h0, h1, h2, h3, q2 + o, x[2].Sum[b], dw * x[2].D[b], a2);
            a3 = Token(l0, l1, l2, l3, h0, h1, h2, h3, q3 + o, x[3].Sum[b], dw * x[3].D[b], a3);
        }
        a0.Store(y); a1.Store(y + ldy); a2.Store(y + 2 * ldy); a3.Store(y + 3 * ldy);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Token(Vector256<byte> l0, Vector256<byte> l1, Vector256<byte> l2, Vector256<byte> l3,
        Vector256<byte> h0, Vector256<byte> h1, Vector256<byte> h2, Vector256<byte> h3, sbyte* q, int sum, Vector256<float> scale, Vector256<float> acc)
    {
        var lo = Dp(Dp(Dp(Dp(Vector256<int>.Zero, l0, q), l1, q + 4), l2, q + 8), l3, q + 12);
        var hi = Dp(Dp(Dp(Dp(Vector256<int>.Zero, h0, q + 16), h1, q + 20), h2, q + 24), h3, q + 28);
        return AddScaled(lo + hi - Vector256.Create(8 * sum), scale, acc);
    }
}
