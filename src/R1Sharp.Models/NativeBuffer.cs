using System.Runtime.InteropServices;

namespace R1Sharp.Models;

/// <summary>A 64-byte aligned block of unmanaged floats (KV caches, scratch slabs): no GC pressure, a stable pointer.</summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    private float* _data;

    public NativeBuffer(long length, bool zero = false)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
        // A request beyond the machine's memory (a huge context, or a model file with absurd widths) is one clear error
        // here, not an OutOfMemoryException, or an allocation the kernel overcommits and kills the process for later.
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (length > available / sizeof(float))
            throw new InvalidOperationException($"cannot allocate {length * (double)sizeof(float) / (1 << 30):N1} GiB: this machine has {available / (double)(1 << 30):N1} GiB of memory");
        Length = length;
        _data = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, length) * sizeof(float), 64);
        if (zero) NativeMemory.Clear(_data, (nuint)length * sizeof(float));
        if (length > 0) GC.AddMemoryPressure(length * sizeof(float));
    }

    public long Length { get; }

    public float* Data
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return _data;
        }
    }

    public Span<float> AsSpan(long start, int length) => new(Data + start, length);

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~NativeBuffer() => Free();

    private void Free()
    {
        if (_data == null) return;
        NativeMemory.AlignedFree(_data);
        _data = null;
        if (Length > 0) GC.RemoveMemoryPressure(Length * sizeof(float));
    }
}
