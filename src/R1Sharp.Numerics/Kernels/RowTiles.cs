using System.Runtime.CompilerServices;
using R1Sharp.Gguf;

namespace R1Sharp.Numerics.Kernels;

/// <summary>
/// The weight layout the SIMD kernels read: rows in tiles of 16, and in each tile the same block of the 16 rows stored
/// together ("block tile") so that one 64-byte vector holds 4 consecutive quants of each of the 16 rows (row i in
/// bytes 4i..4i+3) and one multiply-add gives the 16 rows' partial dot products in 16 int32 lanes (8 per 256-bit
/// half). Per-block scales of the 16 rows sit next to each other (f16 lanes). Block tile of each type (g = group of 4
/// quants, 64 bytes each; "pairs" = two sub-block values of a row side by side):
///   Q4_0 (288 B):  d[16] f16 | qs g0..3 (byte = qs[4g+j]: low nibble quant 4g+j, high nibble 16+4g+j)
///   Q4_1 (320 B):  d[16] | m[16] | qs g0..3
///   Q5_0 (352 B):  d[16] | qh plane (byte j of row i: bit g = 5th bit of quant 4g+j, bit 4+g of 16+4g+j) | qs g0..3
///   Q5_1 (384 B):  d[16] | m[16] | qh plane | qs g0..3
///   Q8_0 (544 B):  d[16] | qs g0..7 (int8)
///   Q4_K (2368 B): d[16] | dmin[16] | scales as pairs p0..3 (sc[2p], sc[2p+1] per row, 32 B) | mins as pairs (32 B each)
///                  | qs chunk k=0..3, g0..7 (byte = qs[32k+4g+j]: low nibble sub-block 2k, high 2k+1)
///   Q5_K (2880 B): as Q4_K with qh g0..7 (byte = qh[4g+j], bit s = 5th bit of sub-block s) before qs
///   Q6_K (3360 B): d[16] | scales as pairs p0..7 (int8) | ql half n, chunk c, g0..7 (byte = ql[64n+32c+4g+j]: low
///                  nibble quarter c, high nibble quarter c+2) | qh half n, g0..7 (byte = qh[32n+4g+j], bits 2m..2m+1
///                  = quarter m)
/// A 16-row tile takes 16 * rowBytes bytes for the legacy types and Q6_K, a little more for Q4_K/Q5_K (unpacked
/// 6-bit scales). Rows stay whole within a tile, so a tile is a self-contained 16-row matrix.
/// </summary>
public static unsafe class RowTiles
{
    public const int Rows = 16;

    /// <summary>True for the types the tiled kernels compute.</summary>
    public static bool Supports(GgmlType type) => BlockTileBytes(type) > 0;

    /// <summary>Bytes of one block (32 or 256 quants) of the 16 rows of a tile; 0 when the type is not tiled.</summary>
    public static int BlockTileBytes(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => 288,
        GgmlType.Q4_1 => 320,
        GgmlType.Q5_0 => 352,
        GgmlType.Q5_1 => 384,
        GgmlType.Q8_0 => 544,
        GgmlType.Q4_K => 2368,
        GgmlType.Q5_K => 2880,
        GgmlType.Q6_K => 3360,
        _ => 0,
    };

    public static int BlockSize(GgmlType type) => type is GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K ? 256 : 32;

    /// <summary>Bytes of one 16-row tile of a matrix with <paramref name="cols"/> columns.</summary>
    public static long TileBytes(GgmlType type, int cols) => (long)BlockTileBytes(type) * (cols / BlockSize(type));

    /// <summary>Rearranges rows [0, 16) of a matrix in ggml's row layout (<paramref name="src"/>, rows of rowBytes)
    /// into one tile at <paramref name="dst"/> (TileBytes bytes).</summary>
    public static void Pack(GgmlType type, byte* src, long rowBytes, byte* dst, int cols)
    {
        int blocks = cols / BlockSize(type), bt = BlockTileBytes(type), bb = (int)(rowBytes / blocks);
        for (int b = 0; b < blocks; b++)
            for (int i = 0; i < Rows; i++)
                PackBlock(type, src + i * rowBytes + (long)b * bb, dst + (long)b * bt, i);
    }

    /// <summary>Row <paramref name="row"/> (0..15) of a tile back in ggml's layout (the exact bytes Pack read).</summary>
    public static void Unpack(GgmlType type, byte* tile, int row, byte* dst, int cols)
    {
        int blocks = cols / BlockSize(type), bt = BlockTileBytes(type);
        int bb = (int)(GgmlTypeInfo.RowBytes(type, cols) / blocks);
        for (int b = 0; b < blocks; b++) UnpackBlock(type, tile + (long)b * bt, row, dst + (long)b * bb);
    }

    // byte j (0..3) of group g of row i in a run of groups starting at base
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* G(byte* baseAddr, int g, int i, int j) => baseAddr + 64 * g + 4 * i + j;

    private static void PackBlock(GgmlType type, byte* s, byte* t, int i)
    {
        switch (type)
        {
            case GgmlType.Q4_0:
                Half(t, i, s);
                Groups(t + 32, i, s + 2, 4);
                break;
            case GgmlType.Q4_1:
                Half(t, i, s); Half(t + 32, i, s + 2);
                Groups(t + 64, i, s + 4, 4);
                break;
            case GgmlType.Q5_0:
                Half(t, i, s);
                Q5Plane(t + 32, i, *(uint*)(s + 2));
                Groups(t + 96, i, s + 6, 4);
                break;
            case GgmlType.Q5_1:
                Half(t, i, s); Half(t + 32, i, s + 2);
                Q5Plane(t + 64, i, *(uint*)(s + 4));
                Groups(t + 128, i, s + 8, 4);
                break;
            case GgmlType.Q8_0:
                Half(t, i, s);
                Groups(t + 32, i, s + 2, 8);
                break;
            case GgmlType.Q4_K:
            case GgmlType.Q5_K:
            {
                Half(t, i, s); Half(t + 32, i, s + 2);
                KScales.Unpack(s + 4, out ulong sc, out ulong mn);
                for (int p = 0; p < 4; p++)
                {
                    t[64 + 32 * p + 2 * i] = (byte)(sc >> (16 * p)); t[64 + 32 * p + 2 * i + 1] = (byte)(sc >> (16 * p + 8));
                    t[192 + 32 * p + 2 * i] = (byte)(mn >> (16 * p)); t[192 + 32 * p + 2 * i + 1] = (byte)(mn >> (16 * p + 8));
                }
                if (type == GgmlType.Q4_K) Groups(t + 320, i, s + 16, 32);
                else { Groups(t + 320, i, s + 16, 8); Groups(t + 832, i, s + 48, 32); }
                break;
            }
            case GgmlType.Q6_K:
                Half(t, i, s + 208);
                for (int p = 0; p < 8; p++) { t[32 + 32 * p + 2 * i] = s[192 + 2 * p]; t[32 + 32 * p + 2 * i + 1] = s[193 + 2 * p]; }
                Groups(t + 288, i, s, 32);        // ql: (n, c) chunks of 32 bytes in file order
                Groups(t + 2336, i, s + 128, 16); // qh: halves of 32 bytes
                break;
            default: throw new NotSupportedException($"{type} has no tiled layout");
        }
    }

    private static void UnpackBlock(GgmlType type, byte* t, int i, byte* s)
    {
        switch (type)
        {
            case GgmlType.Q4_0:
                UnHalf(t, i, s);
                UnGroups(t + 32, i, s + 2, 4);
                break;
            case GgmlType.Q4_1:
                UnHalf(t, i, s); UnHalf(t + 32, i, s + 2);
                UnGroups(t + 64, i, s + 4, 4);
                break;
            case GgmlType.Q5_0:
                UnHalf(t, i, s);
                *(uint*)(s + 2) = Q5UnPlane(t + 32, i);
                UnGroups(t + 96, i, s + 6, 4);
                break;
            case GgmlType.Q5_1:
                UnHalf(t, i, s); UnHalf(t + 32, i, s + 2);
                *(uint*)(s + 4) = Q5UnPlane(t + 64, i);
                UnGroups(t + 128, i, s + 8, 4);
                break;
            case GgmlType.Q8_0:
                UnHalf(t, i, s);
                UnGroups(t + 32, i, s + 2, 8);
                break;
            case GgmlType.Q4_K:
            case GgmlType.Q5_K:
            {
                UnHalf(t, i, s); UnHalf(t + 32, i, s + 2);
                Span<byte> sc = stackalloc byte[8], mn = stackalloc byte[8];
                for (int p = 0; p < 4; p++)
                {
                    sc[2 * p] = t[64 + 32 * p + 2 * i]; sc[2 * p + 1] = t[64 + 32 * p + 2 * i + 1];
                    mn[2 * p] = t[192 + 32 * p + 2 * i]; mn[2 * p + 1] = t[192 + 32 * p + 2 * i + 1];
                }
                // get_scale_min_k4's packing: j < 4: sc in q[j] & 63, m in q[j+4] & 63;
                // j >= 4: low 4 bits in q[j+4] (sc) / q[j+4] >> 4 (m), high 2 bits in q[j-4] >> 6 (sc) / q[j] >> 6 (m)
                byte* q = s + 4;
                for (int j = 0; j < 4; j++)
                {
                    q[j] = (byte)((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
                    q[j + 4] = (byte)((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
                    q[j + 8] = (byte)((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
                }
                if (type == GgmlType.Q4_K) UnGroups(t + 320, i, s + 16, 32);
                else { UnGroups(t + 320, i, s + 16, 8); UnGroups(t + 832, i, s + 48, 32); }
                break;
            }
            case GgmlType.Q6_K:
                UnHalf(t, i, s + 208);
                for (int p = 0; p < 8; p++) { s[192 + 2 * p] = t[32 + 32 * p + 2 * i]; s[193 + 2 * p] = t[32 + 32 * p + 2 * i + 1]; }
                UnGroups(t + 288, i, s, 32);
                UnGroups(t + 2336, i, s + 128, 16);
                break;
            default: throw new NotSupportedException($"{type} has no tiled layout");
        }
    }

    private static void Half(byte* t, int i, byte* s) => *(ushort*)(t + 2 * i) = *(ushort*)s;
    private static void UnHalf(byte* t, int i, byte* s) => *(ushort*)s = *(ushort*)(t + 2 * i);

    private static void Groups(byte* t, int i, byte* s, int groups)
    {
        for (int g = 0; g < groups; g++) *(uint*)G(t, g, i, 0) = *(uint*)(s + 4 * g);
    }

    private static void UnGroups(byte* t, int i, byte* s, int groups)
    {
        for (int g = 0; g < groups; g++) *(uint*)(s + 4 * g) = *(uint*)G(t, g, i, 0);
    }

    // Q5_0/Q5_1: bit q of qh is the 5th bit of quant q (0..31); plane byte j of row i: bit g = quant 4g+j, bit 4+g = 16+4g+j
    private static void Q5Plane(byte* t, int i, uint qh)
    {
        for (int j = 0; j < 4; j++)
        {
            int v = 0;
            for (int g = 0; g < 4; g++) v |= (int)((qh >> (4 * g + j)) & 1) << g | (int)((qh >> (16 + 4 * g + j)) & 1) << (4 + g);
            t[4 * i + j] = (byte)v;
        }
    }

    private static uint Q5UnPlane(byte* t, int i)
    {
        uint qh = 0;
        for (int j = 0; j < 4; j++)
        {
            int v = t[4 * i + j];
            for (int g = 0; g < 4; g++) qh |= (uint)((v >> g) & 1) << (4 * g + j) | (uint)((v >> (4 + g)) & 1) << (16 + 4 * g + j);
        }
        return qh;
    }
}
