using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Numerics.Tensors;

/// <summary>
/// A 2-D weight in any supported ggml type, pointing into memory it does not own (a memory-mapped GGUF, or a model's
/// <see cref="WeightArena"/>). <see cref="Rows"/> rows of <see cref="Cols"/> values, each row <see cref="RowBytes"/>
/// bytes in ggml's block format, laid out either row after row (a GGUF tensor with Dimensions [cols, rows], or
/// [cols, rows, experts] = experts*rows rows, maps directly) or, when <see cref="Tiled"/>, in tiles of 16 rows
/// (<see cref="RowTiles"/>: the same blocks interleaved for the SIMD kernels).
/// </summary>
public sealed unsafe class WeightMatrix
{
    public WeightMatrix(byte* data, GgmlType type, int rows, int cols, bool tiled = false)
    {
        if (data == null) throw new ArgumentNullException(nameof(data));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if (!MatMul.Supports(type)) throw new NotSupportedException($"Tensor type {type} is not supported for weights.");
        Data = data;
        Type = type;
        Rows = rows;
        Cols = cols;
        RowBytes = GgmlTypeInfo.RowBytes(type, cols);
        if (tiled)
        {
            if (!RowTiles.Supports(type) || rows % RowTiles.Rows != 0)
                throw new ArgumentException($"{type} [{rows} x {cols}] cannot be laid out in tiles of {RowTiles.Rows} rows");
            Tiled = true;
            TileBytes = RowTiles.TileBytes(type, cols);
        }
    }

    /// <summary>Maps a GGUF tensor (Dimensions[0] = cols, the product of the others = rows).</summary>
    public static WeightMatrix FromGguf(GgufFile file, GgufTensorInfo tensor)
    {
        long rows = tensor.Rows;
        if (rows > int.MaxValue || tensor.RowLength > int.MaxValue)
            throw new GgufFormatException(file.Path, $"tensor '{tensor.Name}' is too large for a weight matrix");
        if (!MatMul.Supports(tensor.Type))
            throw new GgufFormatException(file.Path, $"tensor '{tensor.Name}' has type {tensor.Type}, which this engine does not support");
        return new WeightMatrix(file.GetTensorPointer(tensor), tensor.Type, (int)rows, (int)tensor.RowLength);
    }

    public GgmlType Type { get; }
    public int Rows { get; }
    public int Cols { get; }
    public long RowBytes { get; }
    public byte* Data { get; }

    /// <summary>Rows in 16-row tiles (<see cref="TilePointer"/>) rather than one after another (<see cref="RowPointer"/>).</summary>
    public bool Tiled { get; }

    /// <summary>Bytes of one 16-row tile (0 in row layout).</summary>
    public long TileBytes { get; }

    /// <summary>Start of row <paramref name="row"/> (row layout only).</summary>
    public byte* RowPointer(int row) => Data + row * RowBytes;

    /// <summary>Start of the tile holding rows [16*tile, 16*tile+16) (tiled layout only).</summary>
    public byte* TilePointer(int tile) => Data + tile * TileBytes;

    /// <summary>A view of rows [firstRow, firstRow + rowCount) (an expert of a stack, a group of heads).</summary>
    public WeightMatrix Slice(int firstRow, int rowCount)
    {
        if ((uint)firstRow > (uint)Rows || rowCount <= 0 || firstRow + (long)rowCount > Rows)
            throw new ArgumentOutOfRangeException(nameof(rowCount), $"rows [{firstRow}, {firstRow + rowCount}) outside [0, {Rows})");
        if (!Tiled) return new WeightMatrix(Data + firstRow * RowBytes, Type, rowCount, Cols);
        if (firstRow % RowTiles.Rows != 0 || rowCount % RowTiles.Rows != 0)
            throw new ArgumentOutOfRangeException(nameof(rowCount), $"rows [{firstRow}, {firstRow + rowCount}) of a tiled matrix must start and end on a tile");
        return new WeightMatrix(TilePointer(firstRow / RowTiles.Rows), Type, rowCount, Cols, tiled: true);
    }

    /// <summary>Writes row <paramref name="row"/> as float32 into <paramref name="destination"/> (length Cols).</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        if (destination.Length != Cols) throw new ArgumentException($"destination has {destination.Length} values, the row {Cols}");
        fixed (float* d = destination) Dequantize.Row(Type, RowBlocks(row), d, Cols);
    }

    [ThreadStatic] private static byte[]? t_row;

    /// <summary>Row <paramref name="row"/> in ggml's block format: in place, or unpacked from its tile into a per-thread buffer.</summary>
    private byte* RowBlocks(int row)
    {
        if (!Tiled) return RowPointer(row);
        if (t_row == null || t_row.Length < RowBytes) t_row = GC.AllocateUninitializedArray<byte>((int)RowBytes, pinned: true);
        fixed (byte* p = t_row) // pinned array: the pointer stays valid after the fixed block
        {
            RowTiles.Unpack(Type, TilePointer(row / RowTiles.Rows), row % RowTiles.Rows, p, Cols);
            return p;
        }
    }

    /// <summary>The whole matrix as float32 [Rows * Cols] (tests, training, small tensors).</summary>
    public float[] ToFloat32()
    {
        var result = new float[(long)Rows * Cols];
        fixed (float* d = result)
            for (int r = 0; r < Rows; r++) Dequantize.Row(Type, RowBlocks(r), d + (long)r * Cols, Cols);
        return result;
    }

    public override string ToString() => $"{Type} [{Rows} x {Cols}]{(Tiled ? " tiled" : "")}";
}
