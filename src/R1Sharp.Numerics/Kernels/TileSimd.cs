using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Building blocks of the tiled kernels (<see cref="RowTiles"/>): a 64-byte group holds 4 quants of each of
/// 16 rows; multiplying it by 4 activation quants broadcast to every row gives per-row partial sums. 512-bit: one
/// vector per group (16 rows); 256-bit: two halves of 8 rows.</summary>
internal static unsafe class TileSimd
{
    /// <summary>4 activation quants at p broadcast to every 32-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> B512(sbyte* p) => Vector512.Create(*(int*)p).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> B256(sbyte* p) => Vector256.Create(*(int*)p).AsSByte();

    /// <summary>Pairwise u8*s8 sums as int16 (vpmaddubsw): callers keep sums of these within int16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Mul(Vector512<byte> w, sbyte* p) => Avx512BW.MultiplyAddAdjacent(w, B512(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> Mul(Vector256<byte> w, sbyte* p) => Avx2.MultiplyAddAdjacent(w, B256(p));

    /// <summary>int16 pairs -> int32 lanes (the 16 rows' sums).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Widen(Vector512<short> s) => Avx512BW.MultiplyAddAdjacent(s, Vector512.Create((short)1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Widen(Vector256<short> s) => Avx2.MultiplyAddAdjacent(s, Vector256.Create((short)1));

    /// <summary>acc + per-lane sums of 4 u8*s8 products (vpdpbusd with AVX-VNNI, else maddubs + madd; then u*|s| pairs
    /// must stay below 32768, which holds for quants up to 128).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dp(Vector256<int> acc, Vector256<byte> w, sbyte* p) =>
        AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(acc, w, B256(p)) : acc + Widen(Mul(w, p));

    /// <summary>acc + int16 pairs times int16 pairs, summed into int32 lanes (vpdpwssd with AVX-VNNI).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Madd(Vector256<int> acc, Vector256<short> a, Vector256<short> b) =>
        AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(acc, a, b) : acc + Avx2.MultiplyAddAdjacent(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Madd(Vector512<int> acc, Vector512<short> a, Vector512<short> b) =>
        acc + Avx512BW.MultiplyAddAdjacent(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Lo(Vector512<byte> v) => v & Vector512.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Hi(Vector512<byte> v) => (v.AsUInt16() >> 4).AsByte() & Vector512.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Lo(Vector256<byte> v) => v & Vector256.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Hi(Vector256<byte> v) => (v.AsUInt16() >> 4).AsByte() & Vector256.Create((byte)0x0F);

    /// <summary>Bit 4 of each byte set where bit (4 - left) of the byte is set (left may be negative: a right shift);
    /// 16-bit shifts by at most 4 never carry a bit between bytes into bit 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Bit4(Vector512<byte> v, int left) =>
        (left >= 0 ? v.AsUInt16() << left : v.AsUInt16() >> -left).AsByte() & Vector512.Create((byte)0x10);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Bit4(Vector256<byte> v, int left) =>
        (left >= 0 ? v.AsUInt16() << left : v.AsUInt16() >> -left).AsByte() & Vector256.Create((byte)0x10);

    // vpshufb indices (within each 128-bit lane): int16 0 or 1 of each 32-bit lane, twice
    private static Vector128<byte> DupLowIndex => Vector128.Create((byte)0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13);
    private static Vector128<byte> DupHighIndex => Vector128.Create((byte)2, 3, 2, 3, 6, 7, 6, 7, 10, 11, 10, 11, 14, 15, 14, 15);

    /// <summary>Row i's int16 pair (a_i, b_i) -> (a_i, a_i) (low) or (b_i, b_i) (high), in each 32-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> DupLow(Vector512<short> pairs) =>
        Avx512BW.Shuffle(pairs.AsByte(), Vector512.Create(DupLowIndex)).AsInt16();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> DupHigh(Vector512<short> pairs) =>
        Avx512BW.Shuffle(pairs.AsByte(), Vector512.Create(DupHighIndex)).AsInt16();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> DupLow(Vector256<short> pairs) =>
        Avx2.Shuffle(pairs.AsByte(), Vector256.Create(DupLowIndex)).AsInt16();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> DupHigh(Vector256<short> pairs) =>
        Avx2.Shuffle(pairs.AsByte(), Vector256.Create(DupHighIndex)).AsInt16();

    /// <summary>int32 lanes -> float times a per-row scale, added to acc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> AddScaled(Vector512<int> sums, Vector512<float> scale, Vector512<float> acc) =>
        Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), scale, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AddScaled(Vector256<int> sums, Vector256<float> scale, Vector256<float> acc) =>
        System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), scale, acc);
}
