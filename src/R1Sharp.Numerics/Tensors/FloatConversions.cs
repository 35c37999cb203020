using System.Runtime.CompilerServices;

namespace R1Sharp.Numerics.Tensors;

/// <summary>IEEE half (F16) and bfloat16 (BF16) conversions with ggml's rounding (round to nearest even).</summary>
internal static class FloatConversions
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HalfToFloat(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FloatToHalf(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BF16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>float32 -> bfloat16, round to nearest even; NaN stays a (quiet) NaN (ggml_compute_fp32_to_bf16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FloatToBF16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    /// <summary>Rounds a float32 to the nearest F16 value (what storing as F16 and reading back gives).</summary>
    public static float RoundToHalf(float value) => HalfToFloat(FloatToHalf(value));

    /// <summary>Rounds a float32 to the nearest BF16 value.</summary>
    public static float RoundToBF16(float value) => BF16ToFloat(FloatToBF16(value));

    public static void HalfToFloat(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = HalfToFloat(source[i]);
    }

    public static void FloatToHalf(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = FloatToHalf(source[i]);
    }

    public static void BF16ToFloat(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = BF16ToFloat(source[i]);
    }

    public static void FloatToBF16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = FloatToBF16(source[i]);
    }
}
