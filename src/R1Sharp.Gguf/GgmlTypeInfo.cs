namespace R1Sharp.Gguf;

/// <summary>Block geometry of each <see cref="GgmlType"/>: elements per block and bytes per block (ggml's type traits).</summary>
public static class GgmlTypeInfo
{
    /// <summary>True for the types whose layout this engine knows (it may still lack kernels for a few, such as Q2_K).</summary>
    public static bool IsKnown(GgmlType type) => TryGetBlock(type, out _, out _);

    public static bool TryGetBlock(GgmlType type, out int blockElements, out int blockBytes)
    {
        (blockElements, blockBytes) = type switch
        {
            GgmlType.F32 => (1, 4),
            GgmlType.F16 => (1, 2),
            GgmlType.BF16 => (1, 2),
            GgmlType.F64 => (1, 8),
            GgmlType.I8 => (1, 1),
            GgmlType.I16 => (1, 2),
            GgmlType.I32 => (1, 4),
            GgmlType.I64 => (1, 8),
            GgmlType.Q4_0 => (32, 18),   // f16 d, 16 bytes of 4-bit quants
            GgmlType.Q4_1 => (32, 20),   // f16 d, f16 m, 16 bytes
            GgmlType.Q5_0 => (32, 22),   // f16 d, 4 bytes high bits, 16 bytes
            GgmlType.Q5_1 => (32, 24),   // f16 d, f16 m, 4 bytes high bits, 16 bytes
            GgmlType.Q8_0 => (32, 34),   // f16 d, 32 int8
            GgmlType.Q8_1 => (32, 36),   // f16 d, f16 s, 32 int8
            GgmlType.Q2_K => (256, 84),
            GgmlType.Q3_K => (256, 110),
            GgmlType.Q4_K => (256, 144), // f16 d, f16 dmin, 12 bytes scales, 128 bytes quants
            GgmlType.Q5_K => (256, 176), // f16 d, f16 dmin, 12 bytes scales, 32 bytes high bits, 128 bytes quants
            GgmlType.Q6_K => (256, 210), // 128 bytes low bits, 64 bytes high bits, 16 int8 scales, f16 d
            GgmlType.Q8_K => (256, 292), // f32 d, 256 int8, 16 int16 block sums
            _ => (0, 0),
        };
        return blockElements != 0;
    }

    public static int BlockElements(GgmlType type) =>
        TryGetBlock(type, out int n, out _) ? n : throw new NotSupportedException($"Unknown tensor type {type}.");

    public static int BlockBytes(GgmlType type) =>
        TryGetBlock(type, out _, out int b) ? b : throw new NotSupportedException($"Unknown tensor type {type}.");

    /// <summary>Bytes of one row of <paramref name="elements"/> values; the row length must be a whole number of blocks.</summary>
    public static long RowBytes(GgmlType type, long elements)
    {
        TryGetBlock(type, out int n, out int b);
        if (n == 0) throw new NotSupportedException($"Unknown tensor type {type}.");
        if (elements % n != 0) throw new ArgumentException($"A row of {elements} values is not a whole number of {type} blocks of {n}.");
        return elements / n * b;
    }
}
