namespace R1Sharp.Gguf;

/// <summary>A GGUF array value: element type and the elements (boxed scalars, strings or nested <see cref="GgufArray"/>).
/// Large numeric arrays are kept as typed arrays in <see cref="Items"/> (e.g. float[] for Float32, int[] for Int32).</summary>
public sealed class GgufArray(GgufValueType elementType, Array items)
{
    public GgufValueType ElementType { get; } = elementType;

    /// <summary>string[] for strings, object[] for nested arrays, typed arrays (byte[], int[], float[], ...) for scalars.</summary>
    public Array Items { get; } = items;

    public int Count => Items.Length;

    public override string ToString() => $"[{ElementType} x {Count}]";
}
