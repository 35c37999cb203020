namespace R1Sharp.Models.Dense;

/// <summary>The KV cache of one sequence of a <see cref="DenseTransformer"/>, float32, allocated once:
/// keys [layer][kvHead][capacity][keyLength], values [layer][kvHead][capacity][valueLength] (each head's
/// positions contiguous, so attention streams through them).</summary>
internal sealed unsafe class DenseSequence : ISequenceState
{
    private readonly NativeBuffer _keys;
    private readonly NativeBuffer _values;
    private readonly int _kvHeads, _keyLength, _valueLength;

    public DenseSequence(DenseTransformer owner, ModelConfig config, int capacity)
    {
        Owner = owner;
        Capacity = capacity;
        _kvHeads = config.HeadCountKv;
        _keyLength = config.KeyLength;
        _valueLength = config.ValueLength;
        long perPosition = (long)config.LayerCount * _kvHeads;
        _keys = new NativeBuffer(perPosition * capacity * _keyLength);
        _values = new NativeBuffer(perPosition * capacity * _valueLength);
    }

    public DenseTransformer Owner { get; }
    public int Length { get; internal set; }
    public int Capacity { get; }

    /// <summary>Keys of one layer's KV head, position 0 (stride keyLength).</summary>
    public float* Keys(int layer, int kvHead) => _keys.Data + ((long)layer * _kvHeads + kvHead) * Capacity * _keyLength;

    /// <summary>Values of one layer's KV head, position 0 (stride valueLength).</summary>
    public float* Values(int layer, int kvHead) => _values.Data + ((long)layer * _kvHeads + kvHead) * Capacity * _valueLength;

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
