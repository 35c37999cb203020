using System.Runtime.InteropServices;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Numerics.Tensors;

/// <summary>
/// Memory for a model's weights laid out for the kernels: anonymous memory (not the file's 4 KB page-cache pages),
/// on Linux mapped with mmap and marked for transparent huge pages (madvise MADV_HUGEPAGE: 2 MB pages, far fewer TLB
/// misses when decode streams every weight), elsewhere native heap memory. Never the managed heap. Grows in chunks;
/// everything is freed at once by <see cref="Dispose"/> (the model owns its arena).
/// </summary>
public sealed unsafe class WeightArena : IDisposable
{
    private const long ChunkBytes = 256L << 20, HugePage = 2L << 20;
    private readonly List<(nint Address, nuint Length, bool Mapped)> _chunks = [];
    private byte* _next, _end;

    /// <summary>Bytes handed out so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>Whether the memory came from mmap with a huge-page hint (false: native heap, e.g. not Linux).</summary>
    public bool HugePages { get; private set; }

    /// <summary>64-byte aligned, uninitialized memory that lives as long as the arena.</summary>
    public byte* Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        bytes = (bytes + 63) & ~63L;
        if (_next == null || _end - _next < bytes) NewChunk(Math.Max(bytes, ChunkBytes));
        byte* p = _next;
        _next += bytes;
        Bytes += bytes;
        return p;
    }

    /// <summary>A copy of <paramref name="source"/> in this arena: in 16-row tiles (<see cref="RowTiles"/>) when the type
    /// has tile kernels, the rows are a multiple of 16 and a vector path runs (and, for a stack of experts, each
    /// expert's <paramref name="rowGroup"/> rows are too), otherwise in its own row layout. Tiles are packed in
    /// parallel on <paramref name="pool"/>.</summary>
    public WeightMatrix Place(WeightMatrix source, ComputePool pool, int rowGroup = RowTiles.Rows)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Tiled) throw new ArgumentException("already placed in tiles", nameof(source));
        bool tile = RowTiles.Supports(source.Type) && source.Rows % RowTiles.Rows == 0 && rowGroup % RowTiles.Rows == 0
                    && Simd.Path != SimdPath.Scalar;
        if (!tile)
        {
            long bytes = source.RowBytes * source.Rows;
            byte* dst = Allocate(bytes);
            for (long o = 0; o < bytes; o += 1L << 30)
                Buffer.MemoryCopy(source.Data + o, dst + o, bytes - o, Math.Min(1L << 30, bytes - o));
            return new WeightMatrix(dst, source.Type, source.Rows, source.Cols);
        }
        long tileBytes = RowTiles.TileBytes(source.Type, source.Cols);
        int tiles = source.Rows / RowTiles.Rows;
        byte* data = Allocate(tileBytes * tiles);
        byte* src = source.Data;
        long rowBytes = source.RowBytes;
        var type = source.Type;
        int cols = source.Cols;
        const int TilesPerTask = 16;
        pool.For((tiles + TilesPerTask - 1) / TilesPerTask, task =>
        {
            for (int t = task * TilesPerTask; t < Math.Min(tiles, (task + 1) * TilesPerTask); t++)
                RowTiles.Pack(type, src + (long)t * RowTiles.Rows * rowBytes, rowBytes, data + t * tileBytes, cols);
        });
        return new WeightMatrix(data, type, source.Rows, source.Cols, tiled: true);
    }

    private void NewChunk(long bytes)
    {
        nuint length = (nuint)((bytes + HugePage - 1) / HugePage * HugePage);
        if (OperatingSystem.IsLinux())
        {
            // over-allocate by one huge page so the start can be aligned to 2 MB (THP needs aligned 2 MB ranges)
            nuint mapped = length + (nuint)HugePage;
            nint p = mmap(0, mapped, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (p != -1)
            {
                _chunks.Add((p, mapped, true));
                nint aligned = (nint)(((long)p + HugePage - 1) / HugePage * HugePage);
                HugePages |= madvise(aligned, length, MadvHugePage) == 0;
                _next = (byte*)aligned;
                _end = _next + length;
                return;
            }
        }
        void* q = NativeMemory.AlignedAlloc(length, 4096);
        _chunks.Add(((nint)q, length, false));
        _next = (byte*)q;
        _end = _next + length;
    }

    public void Dispose()
    {
        foreach (var (address, length, mapped) in _chunks)
        {
            if (mapped) munmap(address, length);
            else NativeMemory.AlignedFree((void*)address);
        }
        _chunks.Clear();
        _next = _end = null;
    }

    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 0x02, MapAnonymous = 0x20, MadvHugePage = 14;

    [DllImport("libc", SetLastError = true)]
    private static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int munmap(nint addr, nuint length);

    [DllImport("libc", SetLastError = true)]
    private static extern int madvise(nint addr, nuint length, int advice);
}
