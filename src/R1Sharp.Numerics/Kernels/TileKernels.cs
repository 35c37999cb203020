using R1Sharp.Gguf;

namespace R1Sharp.Numerics.Kernels;

/// <summary>One 16-row tile (<see cref="RowTiles"/>) . 1 to 4 tokens' converted activations:
/// y[k*ldy + i] = row i . token k, on the current <see cref="Simd.Path"/>. The scalar path unpacks the tile's rows and
/// runs the row kernels (the reference the vector paths are tested against).</summary>
internal static unsafe class TileKernels
{
    public static void Dot(GgmlType type, byte* tile, int cols, ActivationRow* x, int tokens, float* y, long ldy)
    {
        var path = Simd.Path;
        int blocks = cols / RowTiles.BlockSize(type);
        switch (type)
        {
            case GgmlType.Q4_0 when path == SimdPath.V512: TileQ4_0.Dot512(tile, blocks, x, tokens, y, ldy); return;
            case GgmlType.Q4_0 when path == SimdPath.V256: TileQ4_0.Dot256(tile, blocks, x, tokens, y, ldy); return;
            case GgmlType.Q8_0 when path == SimdPath.V512: TileQ8_0.Dot512(tile, blocks, x, tokens, y, ldy); return;
            case GgmlType.Q8_0 when path == SimdPath.V256: TileQ8_0.Dot256(tile, blocks, x, tokens, y, ldy); return;
            case GgmlType.Q4_K or GgmlType.Q5_K when path == SimdPath.V512:
                TileQ4_K.Dot<Lanes512>(tile, blocks, x, tokens, y, ldy, type == GgmlType.Q5_K); return;
            case GgmlType.Q4_K or GgmlType.Q5_K when path == SimdPath.V256:
                TileQ4_K.Dot<Lanes256>(tile, blocks, x, tokens, y, ldy, type == GgmlType.Q5_K); return;
            case GgmlType.Q6_K when path == SimdPath.V512: TileQ6_K.Dot<Lanes512>(tile, blocks, x, tokens, y, ldy); return;
            case GgmlType.Q6_K when path == SimdPath.V256: TileQ6_K.Dot<Lanes256>(tile, blocks, x, tokens, y, ldy); return;
            case GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 when path == SimdPath.V512:
                TileQ4Q5.Dot<Lanes512>(type, tile, blocks, x, tokens, y, ldy); return;
            case GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 when path == SimdPath.V256:
                TileQ4Q5.Dot<Lanes256>(type, tile, blocks, x, tokens, y, ldy); return;
        }
        Scalar(type, tile, cols, x, tokens, y, ldy);
    }

    [ThreadStatic] private static byte[]? t_row;

    /// <summary>Each row unpacked to ggml's layout, then the scalar row kernel.</summary>
    public static void Scalar(GgmlType type, byte* tile, int cols, ActivationRow* x, int tokens, float* y, long ldy)
    {
        long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
        if (t_row == null || t_row.Length < rowBytes) t_row = GC.AllocateUninitializedArray<byte>((int)rowBytes, pinned: true);
        fixed (byte* row = t_row)
            for (int i = 0; i < RowTiles.Rows; i++)
            {
                RowTiles.Unpack(type, tile, i, row, cols);
                for (int k = 0; k < tokens; k++) y[k * ldy + i] = ScalarRow(type, row, x[k], cols);
            }
    }

    /// <summary>The portable row kernels (the reference of every vector path).</summary>
    public static float ScalarRow(GgmlType type, byte* row, in ActivationRow x, int cols) => type switch
    {
        GgmlType.Q8_0 => DotQ8_0.Scalar(row, x, cols / 32),
        GgmlType.Q4_0 => DotQ4_0.Scalar(row, x, cols / 32),
        GgmlType.Q4_1 => DotQ4_1.Scalar(row, x, cols / 32),
        GgmlType.Q5_0 => DotQ5_0.Scalar(row, x, cols / 32),
        GgmlType.Q5_1 => DotQ5_1.Scalar(row, x, cols / 32),
        GgmlType.Q4_K => DotQ4_K.Scalar(row, x, cols / 256),
        GgmlType.Q5_K => DotQ5_K.Scalar(row, x, cols / 256),
        GgmlType.Q6_K => DotQ6_K.Scalar(row, x, cols / 256),
        _ => throw new NotSupportedException($"{type} has no tiled layout"),
    };
}
