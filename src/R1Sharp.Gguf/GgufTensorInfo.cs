namespace R1Sharp.Gguf;

/// <summary>One tensor of a GGUF file. <see cref="Dimensions"/> are in ggml order: Dimensions[0] is the row length
/// (the contiguous axis), so a PyTorch weight of shape [out, in] is stored as Dimensions = [in, out].</summary>
public sealed record GgufTensorInfo(string Name, long[] Dimensions, GgmlType Type, long Offset, long ByteSize)
{
    public long ElementCount
    {
        get { long n = 1; foreach (long d in Dimensions) n *= d; return n; }
    }

    /// <summary>Elements per row (Dimensions[0]).</summary>
    public long RowLength => Dimensions.Length > 0 ? Dimensions[0] : 1;

    /// <summary>Number of rows (product of Dimensions[1..]).</summary>
    public long Rows => RowLength == 0 ? 0 : ElementCount / RowLength;

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Dimensions)}]";
}
