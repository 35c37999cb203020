using System.Runtime.CompilerServices;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q6_K row tiles (<see cref="RowTiles"/>) . Q8_K activations, 1 to 4 tokens. Per super-block and row i:
/// d_i*dx * sum_s sc_i,s * (q6_i . x over sub-block s of 16) - 32 * d_i*dx * sum_s sc_i,s * bsum16_s, q6 in 0..63.
/// A quarter (32 values) is two sub-blocks of 4 groups; products of two groups fit int16 (2*2*63*127 = 32004).</summary>
internal static unsafe class TileQ6_K
{
    public static void Dot<TV>(byte* t, int blocks, ActivationRow* x, int tokens, float* y, long ldy)
        where TV : unmanaged, ITileLanes<TV>
    {
        for (int h = 0; h < 16 / TV.Rows; h++) Rows<TV>(t, h, blocks, x, tokens, y + h * TV.Rows, ldy);
    }

    private static void Rows<TV>(byte* t, int h, int blocks, ActivationRow* x, int tokens, float* y, long ldy)
        where TV : unmanaged, ITileLanes<TV>
    {
        int fo = 2 * TV.Rows * h, go = 4 * TV.Rows * h;
        TV* acc = stackalloc TV[4];
        TV* isum = stackalloc TV[4];
        for (int k = 0; k < tokens; k++) acc[k] = default;
        for (int b = 0; b < blocks; b++, t += 3360)
        {
            for (int k = 0; k < tokens; k++) isum[k] = TV.Int(0);
            for (int n = 0; n < 2; n++)
                for (int c = 0; c < 2; c++)
                {
                    // low nibbles: quarter c (pair 4n+c), high nibbles: quarter c+2 (pair 4n+c+2)
                    var pl = TV.PairsS8(t + 32 + 32 * (4 * n + c) + fo);
                    var ph = TV.PairsS8(t + 32 + 32 * (4 * n + c + 2) + fo);
                    TV la = TV.DupLow(pl), lb = TV.DupHigh(pl), ha = TV.DupLow(ph), hb = TV.DupHigh(ph);
                    byte* ql = t + 288 + 512 * (2 * n + c) + go;
                    byte* qh = t + 2336 + 512 * n + go;
                    int sl = 4 - 2 * c, sh = -2 * c;
                    TV w, u;
                    w = TV.Load(ql); u = TV.Load(qh); TV l0 = TV.Or(TV.Lo(w), TV.ShiftMask(u, sl, 0x30)), h0 = TV.Or(TV.Hi(w), TV.ShiftMask(u, sh, 0x30));
                    w = TV.Load(ql + 64); u = TV.Load(qh + 64); TV l1 = TV.Or(TV.Lo(w), TV.ShiftMask(u, sl, 0x30)), h1 = TV.Or(TV.Hi(w), TV.ShiftMask(u, sh, 0x30));
                    w = TV.Load(ql + 128); u = TV.Load(qh + 128); TV l2 = TV.Or(TV.Lo(w), TV.ShiftMask(u, sl, 0x30)), h2 = TV.Or(TV.Hi(w), TV.ShiftMask(u, sh, 0x30));
                    w = TV.Load(ql + 192); u = TV.Load(qh + 192); TV l3 = TV.Or(TV.Lo(w), TV.ShiftMask(u, sl, 0x30)), h3 = TV.Or(TV.Hi(w), TV.ShiftMask(u, sh, 0x30));
                    w = TV.Load(ql + 256); u = TV.Load(qh + 256); TV l4 = TV.Or(TV.Lo(w), TV.ShiftMask(u, sl, 0x30)), h4 = TV.Or(TV.Hi(w), TV.ShiftMask(u, sh, 0x30));
                    w = TV.Load(ql + 320); u = TV.Load(qh + 320); TV l5 = TV.Or(TV.Lo(w), TV.ShiftMask(u, sl, 0x30)), h5 = TV.Or(TV.Hi(w), TV.ShiftMask(u, sh, 0x30));
                    w = TV.Load(ql + 384); u = TV.Load(qh + 384); TV l6 = TV.Or(TV.Lo(w), TV.ShiftMask(u, sl, 0x30)), h6 = TV.Or(TV.Hi(w), TV.ShiftMask(u, sh, 0x30));
                    w = TV.Load(ql + 448); u = TV.Load(qh + 448); TV l7 = TV.Or(TV.Lo(w), TV.ShiftMask(u, sl, 0x30)), h7 = TV.Or(TV.Hi(w), TV.ShiftMask(u, sh, 0x30));
                    int o = 256 * b + 128 * n + 32 * c;
                    for (int k = 0; k < tokens; k++)
                    {
                        sbyte* q = x[k].Q + o;
                        isum[k] = Quarter(Quarter(isum[k], l0, l1, l2, l3, l4, l5, l6, l7, la, lb, q), h0, h1, h2, h3, h4, h5, h6, h7, ha, hb, q + 64);
                    }
                }
            var d = TV.Halves(t + fo);
            TV p0 = TV.PairsS8(t + 32 + fo), p1 = TV.PairsS8(t + 64 + fo), p2 = TV.PairsS8(t + 96 + fo), p3 = TV.PairsS8(t + 128 + fo);
            TV p4 = TV.PairsS8(t + 160 + fo), p5 = TV.PairsS8(t + 192 + fo), p6 = TV.PairsS8(t + 224 + fo), p7 = TV.PairsS8(t + 256 + fo);
            for (int k = 0; k < tokens; k++)
            {
                short* s16 = x[k].Sum16 + 24 * b;
                var o0 = TV.Madd(TV.Madd(TV.Madd(TV.Madd(TV.Int(0), p0, TV.Broadcast(s16)), p1, TV.Broadcast(s16 + 2)), p2, TV.Broadcast(s16 + 4)), p3, TV.Broadcast(s16 + 6));
                var o1 = TV.Madd(TV.Madd(TV.Madd(TV.Madd(o0, p4, TV.Broadcast(s16 + 8)), p5, TV.Broadcast(s16 + 10)), p6, TV.Broadcast(s16 + 12)), p7, TV.Broadcast(s16 + 14));
                float dx = x[k].D[b];
                acc[k] = TV.AddScaled(o1, TV.Scale(d, -32 * dx), TV.AddScaled(isum[k], TV.Scale(d, dx), acc[k]));
            }
        }
        for (int k = 0; k < tokens; k++) TV.Store(acc[k], y + k * ldy);
    }

    /// <summary>isum + sa * (groups 0..3 . x[0..16)) + sb * (groups 4..7 . x[16..32)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Quarter<TV>(TV isum, TV w0, TV w1, TV w2, TV w3, TV w4, TV w5, TV w6, TV w7, TV sa, TV sb, sbyte* q)
        where TV : unmanaged, ITileLanes<TV>
    {
        isum = TV.Madd(isum, TV.Add16(TV.Mul(w0, q), TV.Mul(w1, q + 4)), sa);
        isum = TV.Madd(isum, TV.Add16(TV.Mul(w2, q + 8), TV.Mul(w3, q + 12)), sa);
        isum = TV.Madd(isum, TV.Add16(TV.Mul(w4, q + 16), TV.Mul(w5, q + 20)), sb);
        return TV.Madd(isum, TV.Add16(TV.Mul(w6, q + 24), TV.Mul(w7, q + 28)), sb);
    }
}
