namespace R1Sharp.Models.DeepSeek2;

/// <summary>
/// The compressed MLA cache of one sequence: per layer and token, the normalized KV latent (KvLoraRank values)
/// followed by the rotated shared key (RopeDims values); nothing is expanded to per-head keys or values.
/// Layout: [layer][position][KvLoraRank + RopeDims] float32 in one slab.
/// </summary>
internal sealed unsafe class DeepSeek2Sequence : ISequenceState
{
    private readonly NativeBuffer _cache;
    private readonly int _rowWidth;

    public DeepSeek2Sequence(DeepSeek2Model owner, DeepSeek2Config config, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Owner = owner;
        Capacity = capacity;
        _rowWidth = config.KvLoraRank + config.RopeDims;
        LayerStride = (long)capacity * _rowWidth;
        _cache = new NativeBuffer(config.LayerCount * LayerStride);
    }

    public DeepSeek2Model Owner { get; }
    public int Length { get; internal set; }
    public int Capacity { get; }
    public long LayerStride { get; }

    /// <summary>Cache row of <paramref name="position"/> in <paramref name="layer"/>: [latent | rope key].</summary>
    public float* Row(int layer, int position) => _cache.Data + layer * LayerStride + (long)position * _rowWidth;

    public void Truncate(int length)
    {
        if ((uint)length > (uint)Length) throw new ArgumentOutOfRangeException(nameof(length));
        Length = length;
    }

    public void Dispose() => _cache.Dispose();
}
