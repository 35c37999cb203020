using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Numerics.Tensors;

/// <summary>
/// A 2-D weight in any supported ggml type, pointing into memory it does not own (usually a memory-mapped GGUF).
/// Row-major: <see cref="Rows"/> rows of <see cref="Cols"/> values, each row <see cref="RowBytes"/> bytes.
/// A GGUF tensor with Dimensions [cols, rows] (or [cols, rows, experts] = experts*rows rows) maps directly.
/// </summary>
public sealed unsafe class WeightMatrix
{
    public WeightMatrix(byte* data, GgmlType type, int rows, int cols)
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

    public byte* RowPointer(int row) => Data + row * RowBytes;

    /// <summary>A view of rows [firstRow, firstRow + rowCount) (an expert of a stack, a group of heads).</summary>
    public WeightMatrix Slice(int firstRow, int rowCount)
    {
        if ((uint)firstRow > (uint)Rows || rowCount <= 0 || firstRow + (long)rowCount > Rows)
            throw new ArgumentOutOfRangeException(nameof(rowCount), $"rows [{firstRow}, {firstRow + rowCount}) outside [0, {Rows})");
        return new WeightMatrix(Data + firstRow * RowBytes, Type, rowCount, Cols);
    }

    /// <summary>Writes row <paramref name="row"/> as float32 into <paramref name="destination"/> (length Cols).</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        if (destination.Length != Cols) throw new ArgumentException($"destination has {destination.Length} values, the row {Cols}");
        fixed (float* d = destination) Dequantize.Row(Type, RowPointer(row), d, Cols);
    }

    /// <summary>The whole matrix as float32 [Rows * Cols] (tests, training, small tensors).</summary>
    public float[] ToFloat32()
    {
        var result = new float[(long)Rows * Cols];
        fixed (float* d = result)
            for (int r = 0; r < Rows; r++) Dequantize.Row(Type, RowPointer(r), d + (long)r * Cols, Cols);
        return result;
    }

    public override string ToString() => $"{Type} [{Rows} x {Cols}]";
}
