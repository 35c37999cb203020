using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Small SIMD building blocks shared by the dot-product kernels.</summary>
internal static unsafe class Simd
{
    /// <summary>The widest path this machine runs: 512-bit where AVX-512 F/BW is present and .NET accelerates Vector512
    /// (it does not on CPUs that slow down with 512-bit code), else 256-bit with AVX2 + FMA, else scalar.</summary>
    public static SimdPath Best { get; } =
        !(Avx2.IsSupported && Fma.IsSupported) ? SimdPath.Scalar
        : Avx512F.IsSupported && Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? SimdPath.V512
        : SimdPath.V256;

    /// <summary>The path the kernels take: <see cref="Best"/> unless a test forces another one.</summary>
    public static SimdPath Path => Forced ?? Best;

    /// <summary>Tests force a path to check each one against the scalar reference (only paths the machine supports).</summary>
    internal static SimdPath? Forced;

    /// <summary>Whether this machine can run <paramref name="path"/>.</summary>
    public static bool IsSupported(SimdPath path) => path switch
    {
        SimdPath.Scalar => true,
        SimdPath.V256 => Avx2.IsSupported && Fma.IsSupported,
        _ => Avx2.IsSupported && Fma.IsSupported && Avx512F.IsSupported && Avx512BW.IsSupported,
    };

    /// <summary>True when a vector path runs (the row kernels' AVX2 code); false for the portable scalar kernels.</summary>
    public static bool Avx2Path => Path != SimdPath.Scalar;

    /// <summary>Sums of 4 adjacent products u8*s8 into 8 int32 lanes (vpdpbusd with AVX-VNNI, else maddubs+madd).
    /// Without VNNI the int16 intermediate saturates above 32767: callers keep u*|s| pairs below that (u &lt;= 128).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotU8S8(Vector256<byte> u, Vector256<sbyte> s)
    {
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, u, s);
        return Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), Vector256.Create((short)1));
    }

    /// <summary>Sums of 4 adjacent products s8*s8 (the sign of a moves onto b so a can be used unsigned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotS8S8(Vector256<sbyte> a, Vector256<sbyte> b) =>
        DotU8S8(Avx2.Abs(a), Avx2.Sign(b, a));

    /// <summary>Splits 16 packed bytes into 32 nibbles: low nibbles first (elements 0..15), then high (16..31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Nibbles(Vector128<byte> packed)
    {
        var m = Vector128.Create((byte)0x0F);
        return Vector256.Create(packed & m, (packed.AsUInt16() >> 4).AsByte() & m);
    }

    /// <summary>Byte i = 0x10 when bit i of <paramref name="bits"/> is set (the 5th bit of Q5_0/Q5_1 quants).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> HighBits(uint bits)
    {
        var v = Vector256.Create(bits).AsByte();
        var idx = Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                   2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        var spread = Avx2.Shuffle(v, idx);
        var mask = Vector256.Create(0x8040201008040201UL).AsByte();
        return Vector256.Equals(spread & mask, mask) & Vector256.Create((byte)0x10);
    }

    /// <summary>Eight F16 values -> float (exact for normal and subnormal values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HalfToFloat(Vector128<ushort> h)
    {
        var u = Avx2.ConvertToVector256Int32(h).AsUInt32();
        var sign = (u & Vector256.Create(0x8000u)) << 16;
        var mag = ((u & Vector256.Create(0x7fffu)) << 13).AsSingle() * Vector256.Create(5.192297e33f); // 2^112
        return (mag.AsUInt32() | sign).AsSingle();
    }

    /// <summary>Sixteen F16 values -> float (as <see cref="HalfToFloat(Vector128{ushort})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> HalfToFloat(Vector256<ushort> h)
    {
        var u = Avx512F.ConvertToVector512UInt32(h);
        var sign = (u & Vector512.Create(0x8000u)) << 16;
        var mag = ((u & Vector512.Create(0x7fffu)) << 13).AsSingle() * Vector512.Create(5.192297e33f); // 2^112
        return (mag.AsUInt32() | sign).AsSingle();
    }

    /// <summary>Sixteen BF16 values -> float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> BF16ToFloat(Vector256<ushort> h) =>
        (Avx512F.ConvertToVector512UInt32(h) << 16).AsSingle();

    /// <summary>Eight BF16 values -> float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> BF16ToFloat(Vector128<ushort> h) =>
        (Avx2.ConvertToVector256Int32(h).AsUInt32() << 16).AsSingle();

    /// <summary>Scalar F16 -> float without branches (normal, subnormal, zero; not inf/NaN, which weights never hold).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Half(byte* p)
    {
        uint h = *(ushort*)p;
        float mag = BitConverter.UInt32BitsToSingle((h & 0x7fff) << 13) * 5.192297e33f;
        return BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(mag) | ((h & 0x8000) << 16));
    }
}
