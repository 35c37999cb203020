using System.Runtime.CompilerServices;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q4_K (and Q5_K: a 5th bit per quant) row tiles (<see cref="RowTiles"/>) . Q8_K activations, 1 or 4 tokens.
/// Per super-block of 256 and row i: d_i*dx * sum_s sc_i,s * (q_i . x over sub-block s) - dmin_i*dx * sum_s m_i,s * bsum32_s.
/// The products of one sub-block (8 groups of 4: at most 8*2*31*127 = 62992 for 5 bits, so Q5_K adds them in two
/// halves) are summed as int16 and multiplied by the sub-block scale with one pmaddwd.</summary>
internal static unsafe class TileQ4_K
{
    public static void Dot<TV>(byte* t, int blocks, ActivationRow* x, int tokens, float* y, long ldy, bool fiveBits)
        where TV : unmanaged, ITileLanes<TV>
    {
        for (int h = 0; h < 16 / TV.Rows; h++) Rows<TV>(t, h, blocks, x, tokens, y + h * TV.Rows, ldy, fiveBits);
    }

    // Rows h*R..h*R+R-1 (R = TV.Rows): their f16 and scale pairs at +2R*h bytes, their part of each group at +4R*h.
    // The token loop is not unrolled: the JIT's inlining budget would run out on 4 copies of the sub-block code.
    private static void Rows<TV>(byte* t, int h, int blocks, ActivationRow* x, int tokens, float* y, long ldy, bool fiveBits)
        where TV : unmanaged, ITileLanes<TV>
    {
        int fo = 2 * TV.Rows * h, go = 4 * TV.Rows * h;
        int bt = fiveBits ? 2880 : 2368, qs = fiveBits ? 832 : 320;
        TV* acc = stackalloc TV[4];
        TV* isum = stackalloc TV[4];
        for (int k = 0; k < tokens; k++) acc[k] = default;
        for (int b = 0; b < blocks; b++, t += bt)
        {
            for (int k = 0; k < tokens; k++) isum[k] = TV.Int(0);
            for (int c = 0; c < 4; c++)
            {
                var sc = TV.PairsU8(t + 64 + 32 * c + fo);
                var sLo = TV.DupLow(sc);
                var sHi = TV.DupHigh(sc);
                byte* g = t + qs + 512 * c + go;
                var w0 = TV.Load(g); var w1 = TV.Load(g + 64); var w2 = TV.Load(g + 128); var w3 = TV.Load(g + 192);
                var w4 = TV.Load(g + 256); var w5 = TV.Load(g + 320); var w6 = TV.Load(g + 384); var w7 = TV.Load(g + 448);
                TV l0 = TV.Lo(w0), l1 = TV.Lo(w1), l2 = TV.Lo(w2), l3 = TV.Lo(w3), l4 = TV.Lo(w4), l5 = TV.Lo(w5), l6 = TV.Lo(w6), l7 = TV.Lo(w7);
                TV h0 = TV.Hi(w0), h1 = TV.Hi(w1), h2 = TV.Hi(w2), h3 = TV.Hi(w3), h4 = TV.Hi(w4), h5 = TV.Hi(w5), h6 = TV.Hi(w6), h7 = TV.Hi(w7);
                if (fiveBits)
                {
                    // 5th bit: bit 2c (low nibbles) and 2c+1 (high nibbles) of the qh bytes of the same group
                    byte* qh = t + 320 + go;
                    int sl = 4 - 2 * c, sh = 3 - 2 * c;
                    var q0 = TV.Load(qh); var q1 = TV.Load(qh + 64); var q2 = TV.Load(qh + 128); var q3 = TV.Load(qh + 192);
                    var q4 = TV.Load(qh + 256); var q5 = TV.Load(qh + 320); var q6 = TV.Load(qh + 384); var q7 = TV.Load(qh + 448);
                    l0 = TV.Or(l0, TV.ShiftMask(q0, sl, 0x10)); h0 = TV.Or(h0, TV.ShiftMask(q0, sh, 0x10));
                    l1 = TV.Or(l1, TV.ShiftMask(q1, sl, 0x10)); h1 = TV.Or(h1, TV.ShiftMask(q1, sh, 0x10));
                    l2 = TV.Or(l2, TV.ShiftMask(q2, sl, 0x10)); h2 = TV.Or(h2, TV.ShiftMask(q2, sh, 0x10));
                    l3 = TV.Or(l3, TV.ShiftMask(q3, sl, 0x10)); h3 = TV.Or(h3, TV.ShiftMask(q3, sh, 0x10));
                    l4 = TV.Or(l4, TV.ShiftMask(q4, sl, 0x10)); h4 = TV.Or(h4, TV.ShiftMask(q4, sh, 0x10));
                    l5 = TV.Or(l5, TV.ShiftMask(q5, sl, 0x10)); h5 = TV.Or(h5, TV.ShiftMask(q5, sh, 0x10));
                    l6 = TV.Or(l6, TV.ShiftMask(q6, sl, 0x10)); h6 = TV.Or(h6, TV.ShiftMask(q6, sh, 0x10));
                    l7 = TV.Or(l7, TV.ShiftMask(q7, sl, 0x10)); h7 = TV.Or(h7, TV.ShiftMask(q7, sh, 0x10));
                }
                int o = 256 * b + 64 * c;
                for (int k = 0; k < tokens; k++)
                {
                    sbyte* q = x[k].Q + o;
                    isum[k] = SubBlock(SubBlock(isum[k], l0, l1, l2, l3, l4, l5, l6, l7, sLo, q, fiveBits), h0, h1, h2, h3, h4, h5, h6, h7, sHi, q + 32, fiveBits);
                }
            }
            var d = TV.Halves(t + fo);
            var dmin = TV.Halves(t + 32 + fo);
            var m0 = TV.PairsU8(t + 192 + fo); var m1 = TV.PairsU8(t + 224 + fo);
            var m2 = TV.PairsU8(t + 256 + fo); var m3 = TV.PairsU8(t + 288 + fo);
            for (int k = 0; k < tokens; k++) acc[k] = Finish(acc[k], isum[k], d, dmin, m0, m1, m2, m3, x[k], b);
        }
        for (int k = 0; k < tokens; k++) TV.Store(acc[k], y + k * ldy);
    }

    /// <summary>isum + sc * (one sub-block's 8 groups . x[0..32)) (at most 16 arguments: the JIT inlines no more).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV SubBlock<TV>(TV isum, TV w0, TV w1, TV w2, TV w3, TV w4, TV w5, TV w6, TV w7, TV sc, sbyte* q, bool fiveBits)
        where TV : unmanaged, ITileLanes<TV>
    {
        var s0 = TV.Add16(TV.Add16(TV.Mul(w0, q), TV.Mul(w1, q + 4)), TV.Add16(TV.Mul(w2, q + 8), TV.Mul(w3, q + 12)));
        var s1 = TV.Add16(TV.Add16(TV.Mul(w4, q + 16), TV.Mul(w5, q + 20)), TV.Add16(TV.Mul(w6, q + 24), TV.Mul(w7, q + 28)));
        return fiveBits ? TV.Madd(TV.Madd(isum, s0, sc), s1, sc) : TV.Madd(isum, TV.Add16(s0, s1), sc);
    }

    /// <summary>acc + d*dx*isum - dmin*dx*(mins . per-32 sums).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Finish<TV>(TV acc, TV isum, TV d, TV dmin, TV m0, TV m1, TV m2, TV m3, in ActivationRow x, int b)
        where TV : unmanaged, ITileLanes<TV>
    {
        short* s32 = x.Sum16 + 24 * b + 16;
        var msum = TV.Madd(TV.Madd(TV.Madd(TV.Madd(TV.Int(0), m0, TV.Broadcast(s32)), m1, TV.Broadcast(s32 + 2)),
                                   m2, TV.Broadcast(s32 + 4)), m3, TV.Broadcast(s32 + 6));
        float dx = x.D[b];
        return TV.AddScaled(msum, TV.Scale(dmin, -dx), TV.AddScaled(isum, TV.Scale(d, dx), acc));
    }
}
