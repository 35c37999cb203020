using System.Runtime.CompilerServices;
using R1Sharp.Gguf;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q4_1, Q5_0 and Q5_1 row tiles (<see cref="RowTiles"/>) . Q8_0/Q8_1 activations, 1 to 4 tokens (Q4_0 has
/// its own hand-unrolled kernel, ~30% faster than this generic one). Per block of 32 and row i:
/// d_i*dx*(q_i . x) - 16*d_i*dx*sum(x) (Q5_0), or + m_i*s_x (Q4_1, Q5_1: s_x = fp16(dx*sum x)); q = nibble, | 5th bit
/// from the qh plane for Q5. The int16 sums of the products hold all 8 groups of 4-bit quants (8*2*15*127 = 30480)
/// and 4 groups of 5-bit ones (4*2*31*127 = 31496).</summary>
internal static unsafe class TileQ4Q5
{
    public static void Dot<TV>(GgmlType type, byte* t, int blocks, ActivationRow* x, int tokens, float* y, long ldy)
        where TV : unmanaged, ITileLanes<TV>
    {
        for (int h = 0; h < 16 / TV.Rows; h++) Rows<TV>(type, t, h, blocks, x, tokens, y + h * TV.Rows, ldy);
    }

    private static void Rows<TV>(GgmlType type, byte* t, int h, int blocks, ActivationRow* x, int tokens, float* y, long ldy)
        where TV : unmanaged, ITileLanes<TV>
    {
        int fo = 2 * TV.Rows * h, go = 4 * TV.Rows * h;
        bool min = type is GgmlType.Q4_1 or GgmlType.Q5_1, five = type is GgmlType.Q5_0 or GgmlType.Q5_1;
        int bt = RowTiles.BlockTileBytes(type);
        int plane = min ? 64 : 32;                       // Q5 qh plane
        int groups = type switch { GgmlType.Q4_1 => 64, GgmlType.Q5_0 => 96, _ => 128 };
        TV* acc = stackalloc TV[4];
        for (int k = 0; k < tokens; k++) acc[k] = default;
        for (int b = 0; b < blocks; b++, t += bt)
        {
            byte* g = t + groups + go;
            TV w0 = TV.Load(g), w1 = TV.Load(g + 64), w2 = TV.Load(g + 128), w3 = TV.Load(g + 192);
            TV l0 = TV.Lo(w0), l1 = TV.Lo(w1), l2 = TV.Lo(w2), l3 = TV.Lo(w3);
            TV h0 = TV.Hi(w0), h1 = TV.Hi(w1), h2 = TV.Hi(w2), h3 = TV.Hi(w3);
            if (five)
            {
                // plane byte: bit g = 5th bit of low-nibble group g, bit 4+g of high-nibble group g
                var p = TV.Load(t + plane + go);
                l0 = TV.Or(l0, TV.ShiftMask(p, 4, 0x10)); l1 = TV.Or(l1, TV.ShiftMask(p, 3, 0x10));
                l2 = TV.Or(l2, TV.ShiftMask(p, 2, 0x10)); l3 = TV.Or(l3, TV.ShiftMask(p, 1, 0x10));
                h0 = TV.Or(h0, TV.ShiftMask(p, 0, 0x10)); h1 = TV.Or(h1, TV.ShiftMask(p, -1, 0x10));
                h2 = TV.Or(h2, TV.ShiftMask(p, -2, 0x10)); h3 = TV.Or(h3, TV.ShiftMask(p, -3, 0x10));
            }
            var d = TV.Halves(t + fo);
            var m = min ? TV.Halves(t + 32 + fo) : default;
            for (int k = 0; k < tokens; k++)
            {
                sbyte* q = x[k].Q + 32 * b;
                var lo = Four(l0, l1, l2, l3, q);
                var hi = Four(h0, h1, h2, h3, q + 16);
                var isum = five ? TV.Add32(TV.Widen(lo), TV.Widen(hi)) : TV.Widen(TV.Add16(lo, hi));
                float dx = x[k].D[b];
                if (min) acc[k] = TV.MulAdd(m, x[k].S[b], TV.AddScaled(isum, TV.Scale(d, dx), acc[k]));
                else acc[k] = TV.AddScaled(TV.Sub32(isum, TV.Int(16 * x[k].Sum[b])), TV.Scale(d, dx), acc[k]);
            }
        }
        for (int k = 0; k < tokens; k++) TV.Store(acc[k], y + k * ldy);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Four<TV>(TV w0, TV w1, TV w2, TV w3, sbyte* q) where TV : unmanaged, ITileLanes<TV> =>
        TV.Add16(TV.Add16(TV.Mul(w0, q), TV.Mul(w1, q + 4)), TV.Add16(TV.Mul(w2, q + 8), TV.Mul(w3, q + 12)));
}
