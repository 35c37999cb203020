using System.Runtime.InteropServices;

namespace R1Sharp.Models;

/// <summary>A 64-byte aligned block of unmanaged floats (KV caches, scratch slabs): no GC pressure, a stable pointer.</summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    private float* _data;

    public NativeBuffer(long length, bool zero = false)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
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
