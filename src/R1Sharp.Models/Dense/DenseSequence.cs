using System.Numerics.Tensors;
using R1Sharp.Gguf;

namespace R1Sharp.Models.Dense;

/// <summary>The KV cache of one sequence of a <see cref="DenseTransformer"/>, F32 or F16 (the model's
/// <see cref="ModelLoadOptions.KvType"/>), allocated once: keys [layer][kvHead][capacity][keyLength], values
/// [layer][kvHead][capacity][valueLength] (each head's positions contiguous, so attention streams through them).</summary>
internal sealed unsafe class DenseSequence : ISequenceState
{
    private readonly NativeBuffer _keys;
    private readonly NativeBuffer _values;
    private readonly int _kvHeads, _keyLength, _valueLength, _size;

    public DenseSequence(DenseTransformer owner, ModelConfig config, int capacity, GgmlType type)
    {
        Owner = owner;
        Capacity = capacity;
        Type = type;
        _size = type == GgmlType.F16 ? 2 : 4;
        _kvHeads = config.HeadCountKv;
        _keyLength = config.KeyLength;
        _valueLength = config.ValueLength;
        long perPosition = (long)config.LayerCount * _kvHeads;
        // NativeBuffer counts floats: an F16 cache takes half as many
        _keys = new NativeBuffer((perPosition * capacity * _keyLength * _size + 3) / 4);
        _values = new NativeBuffer((perPosition * capacity * _valueLength * _size + 3) / 4);
    }

    public DenseTransformer Owner { get; }
    public int Length { get; internal set; }
    public int Capacity { get; }

    /// <summary>Element type of the cache: F32 or F16.</summary>
    public GgmlType Type { get; }

    /// <summary>Keys of one layer's KV head, position 0 (stride keyLength elements).</summary>
    public byte* Keys(int layer, int kvHead) => (byte*)_keys.Data + ((long)layer * _kvHeads + kvHead) * Capacity * _keyLength * _size;

    /// <summary>Values of one layer's KV head, position 0 (stride valueLength elements).</summary>
    public byte* Values(int layer, int kvHead) => (byte*)_values.Data + ((long)layer * _kvHeads + kvHead) * Capacity * _valueLength * _size;

    /// <summary>Stores n floats at element <paramref name="index"/> of a cache region in the cache's type.</summary>
    public void Store(byte* region, long index, float* source, int n)
    {
        if (Type == GgmlType.F16)
            TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(source, n), new Span<Half>((Half*)region + index, n));
        else
            Buffer.MemoryCopy(source, (float*)region + index, (long)n * sizeof(float), (long)n * sizeof(float));
    }

    public void Truncate(int length)
    {
        if (length < 0 || length > Length)
            throw new ArgumentOutOfRangeException(nameof(length), $"cannot truncate a sequence of {Length} tokens to {length}");
        Length = length;
    }

    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
