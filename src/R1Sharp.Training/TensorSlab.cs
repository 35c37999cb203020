using System.Runtime.InteropServices;

namespace R1Sharp.Training;

/// <summary>A named float32 tensor inside a <see cref="TensorSlab"/>. <see cref="Dims"/> in GGUF order (row length first).</summary>
public sealed unsafe class SlabTensor(string name, long[] dims, long offset, TensorSlab slab)
{
    public string Name { get; } = name;
    public long[] Dims { get; } = dims;
    public long Offset { get; } = offset;
    public long Length { get; } = dims.Aggregate(1L, (a, b) => a * b);
    public int Rank => Dims.Length;
    public float* Data => slab.AllocatedData + Offset;
    public Span<float> Span => new(Data, checked((int)Length));
}

/// <summary>One contiguous 64-byte aligned float32 allocation carved into named tensors (llm.c style).
/// Build it with <see cref="Add"/> calls, then <see cref="Allocate"/>; memory is zeroed.</summary>
public sealed unsafe class TensorSlab : IDisposable
{
    private readonly List<SlabTensor> _tensors = [];
    private readonly Dictionary<string, SlabTensor> _byName = new(StringComparer.Ordinal);
    public float* Data { get; private set; }
    /// <summary><see cref="Data"/>, or a clear error instead of a null-pointer access when the slab was never allocated.</summary>
    internal float* AllocatedData => Data != null ? Data : throw new InvalidOperationException("tensor memory not allocated (a model created without gradients?)");
    public long Length { get; private set; }
    public IReadOnlyList<SlabTensor> Tensors => _tensors;

    public SlabTensor Add(string name, params long[] dims)
    {
        if (Data != null) throw new InvalidOperationException("slab already allocated");
        var t = new SlabTensor(name, dims, Length, this);
        _tensors.Add(t);
        _byName.Add(name, t);
        Length += (t.Length + 15) / 16 * 16; // keep every tensor 64-byte aligned
        return t;
    }

    public void Allocate()
    {
        nuint bytes = (nuint)Math.Max(Length, 16) * sizeof(float);
        Data = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(Data, bytes);
    }

    public SlabTensor this[string name] => _byName[name];
    public bool TryGet(string name, out SlabTensor tensor) => _byName.TryGetValue(name, out tensor!);

    public Span<float> All => new(AllocatedData, checked((int)Length));

    public void Clear() => NativeMemory.Clear(AllocatedData, (nuint)Length * sizeof(float));

    public void Dispose()
    {
        if (Data != null) NativeMemory.AlignedFree(Data);
        Data = null;
    }
}
