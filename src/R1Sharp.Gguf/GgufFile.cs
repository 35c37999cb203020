using System.IO.MemoryMappedFiles;
using System.Text;

namespace R1Sharp.Gguf;

/// <summary>
/// A GGUF file (v2 or v3), memory-mapped read-only. Header layout (little-endian):
/// magic "GGUF", u32 version, u64 tensor_count, u64 kv_count, kv pairs (string key, u32 type, value),
/// tensor infos (string name, u32 n_dims, u64 dims[n_dims], u32 type, u64 offset), padding to
/// general.alignment (default 32), then tensor data; each tensor's offset is relative to the data start.
/// Tensor bytes are never copied: <see cref="GetTensorPointer"/> points into the mapping.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    public const uint Magic = 0x46554747; // "GGUF" read as little-endian u32
    public const int DefaultAlignment = 32;
    private const int MaxDimensions = 4;

    // Bounds on what a header may make this reader allocate, far above any real model (the largest vocabularies
    // have ~260k tokens and ~500k merges, chat templates are tens of KB, DeepSeek-V3 has ~1,000 tensors) so that a
    // corrupt or hostile count fails as one clear error instead of gigabytes of allocation.
    public const int MaxMetadataCount = 1 << 16;
    public const int MaxTensorCount = 1 << 20;
    public const int MaxStringBytes = 16 << 20;
    public const int MaxArrayLength = 1 << 24;
    public const long MaxMetadataValues = 1 << 25;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName = new(StringComparer.Ordinal);

    public string Path { get; }
    public uint Version { get; }
    public long FileSize { get; }
    public int Alignment { get; }
    /// <summary>Absolute file offset of the tensor data section.</summary>
    public long DataOffset { get; }
    /// <summary>Metadata in file order.</summary>
    public IReadOnlyDictionary<string, object> Metadata { get; }
    /// <summary>Metadata keys in file order.</summary>
    public IReadOnlyList<string> MetadataKeys { get; }
    /// <summary>The value type each metadata key was stored with.</summary>
    public IReadOnlyDictionary<string, GgufValueType> MetadataTypes { get; }
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    private GgufFile(string path)
    {
        Path = path;
        FileInfo info = new(path);
        if (!info.Exists) throw new GgufFormatException(path, Directory.Exists(path) ? "is a directory, not a GGUF file" : "file not found");
        FileSize = info.Length;
        if (FileSize < 24) throw new GgufFormatException(path, $"file is too short to be GGUF ({FileSize} bytes)");
        try
        {
            _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
            _base += _view.PointerOffset;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Dispose();
            throw new GgufFormatException(path, $"cannot map the file: {e.Message}", e);
        }

        try
        {
            var r = new HeaderReader(_base, FileSize, path);
            uint magic = r.U32();
            if (magic != Magic)
                throw new GgufFormatException(path, $"not a GGUF file (magic 0x{magic:X8}, expected \"GGUF\")");
            Version = r.U32();
            if (Version is not (2 or 3))
                throw new GgufFormatException(path, Version == 1
                    ? "GGUF version 1 is not supported (convert the file with a current llama.cpp)"
                    : $"unsupported GGUF version {Version}");
            ulong tensorCount = r.U64();
            ulong kvCount = r.U64();
            // Every kv pair takes at least 12 bytes and every tensor info at least 24: counts above that are corrupt.
            if (kvCount > (ulong)(FileSize / 12))
                throw new GgufFormatException(path, $"metadata count {kvCount} is impossible for a file of {FileSize} bytes");
            if (tensorCount > (ulong)(FileSize / 24))
                throw new GgufFormatException(path, $"tensor count {tensorCount} is impossible for a file of {FileSize} bytes");
            if (kvCount > MaxMetadataCount)
                throw new GgufFormatException(path, $"metadata count {kvCount:N0} is over this reader's limit of {MaxMetadataCount:N0}");
            if (tensorCount > MaxTensorCount)
                throw new GgufFormatException(path, $"tensor count {tensorCount:N0} is over this reader's limit of {MaxTensorCount:N0}");

            // Capacities grow with what is actually read, not with the counts the header claims.
            int expected = (int)Math.Min(kvCount, 256);
            var metadata = new Dictionary<string, object>(expected, StringComparer.Ordinal);
            var types = new Dictionary<string, GgufValueType>(expected, StringComparer.Ordinal);
            var keys = new List<string>(expected);
            for (ulong i = 0; i < kvCount; i++)
            {
                string key = r.String();
                var type = (GgufValueType)r.U32();
                object value = r.Value(type, depth: 0);
                if (!metadata.TryAdd(key, value))
                    throw new GgufFormatException(path, $"duplicate metadata key {MessageText.Quote(key)}");
                types[key] = type;
                keys.Add(key);
            }
            Metadata = metadata;
            MetadataKeys = keys;
            MetadataTypes = types;

            Alignment = DefaultAlignment;
            if (metadata.TryGetValue("general.alignment", out object? a))
            {
                long al = a is ulong ul ? (long)Math.Min(ul, int.MaxValue) : ToInteger(a) ?? -1;
                if (al <= 0 || al > 1 << 20 || (al & (al - 1)) != 0)
                    throw new GgufFormatException(path, $"general.alignment {a} is not a power of two");
                Alignment = (int)al;
            }

            var raw = new List<(string Name, long[] Dims, uint Type, ulong Offset)>((int)Math.Min(tensorCount, 4096));
            for (ulong i = 0; i < tensorCount; i++)
            {
                string name = r.String();
                uint nDims = r.U32();
                if (nDims == 0 || nDims > MaxDimensions)
                    throw new GgufFormatException(path, $"tensor {MessageText.Quote(name)} has {nDims} dimensions (1 to {MaxDimensions} allowed)");
                var dims = new long[nDims];
                long elements = 1;
                for (int d = 0; d < nDims; d++)
                {
                    ulong dim = r.U64();
                    if (dim == 0 || dim > (ulong)FileSize * 8 || dim > int.MaxValue * 64UL)
                        throw new GgufFormatException(path, $"tensor {MessageText.Quote(name)} has an impossible dimension {dim}");
                    dims[d] = (long)dim;
                    elements = checked(elements * (long)dim);
                    if (elements > FileSize * 8L)
                        throw new GgufFormatException(path, $"tensor {MessageText.Quote(name)} has more elements than the file can hold");
                }
                uint type = r.U32();
                ulong offset = r.U64();
                raw.Add((name, dims, type, offset));
            }

            DataOffset = AlignUp(r.Position, Alignment);
            var tensors = new List<GgufTensorInfo>(raw.Count);
            foreach (var (name, dims, typeId, offset) in raw)
            {
                var type = (GgmlType)typeId;
                if (!GgmlTypeInfo.TryGetBlock(type, out int blockElements, out int blockBytes))
                    throw new GgufFormatException(path, $"tensor {MessageText.Quote(name)} has unknown type {typeId}");
                if (dims[0] % blockElements != 0)
                    throw new GgufFormatException(path, $"tensor {MessageText.Quote(name)} row of {dims[0]} is not a multiple of the {type} block size {blockElements}");
                long elements = 1;
                foreach (long d in dims) elements *= d;
                long size = elements / blockElements * blockBytes;
                if (offset % (ulong)Alignment != 0)
                    throw new GgufFormatException(path, $"tensor {MessageText.Quote(name)} offset {offset} is not aligned to {Alignment}");
                if (offset > (ulong)FileSize || DataOffset + (long)offset + size > FileSize)
                    throw new GgufFormatException(path, $"tensor {MessageText.Quote(name)} data (offset {offset}, {size} bytes) runs past the end of the file (truncated?)");
                var t = new GgufTensorInfo(name, dims, type, (long)offset, size);
                if (!_tensorsByName.TryAdd(name, t))
                    throw new GgufFormatException(path, $"duplicate tensor name {MessageText.Quote(name)}");
                tensors.Add(t);
            }
            Tensors = tensors;
        }
        catch (GgufFormatException)
        {
            Dispose();
            throw;
        }
        catch (Exception e) when (e is OverflowException or ArgumentException or OutOfMemoryException or DecoderFallbackException)
        {
            Dispose();
            throw new GgufFormatException(path, $"corrupt header ({e.Message})", e);
        }
    }

    /// <summary>Opens and validates a GGUF file. Throws <see cref="GgufFormatException"/> for anything malformed.</summary>
    public static GgufFile Open(string path) => new(System.IO.Path.GetFullPath(path));

    public static long AlignUp(long value, int alignment) => (value + alignment - 1) / alignment * alignment;

    public bool TryGetTensor(string name, out GgufTensorInfo tensor) => _tensorsByName.TryGetValue(name, out tensor!);

    public GgufTensorInfo GetTensor(string name) =>
        _tensorsByName.TryGetValue(name, out var t) ? t : throw new GgufFormatException(Path, $"tensor {MessageText.Quote(name)} is missing");

    /// <summary>Pointer to the tensor's bytes inside the mapping (valid until Dispose).</summary>
    public byte* GetTensorPointer(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        return _base + DataOffset + tensor.Offset;
    }

    /// <summary>The tensor's bytes; only for tensors under 2 GB (use <see cref="GetTensorPointer"/> otherwise).</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo tensor)
    {
        if (tensor.ByteSize > int.MaxValue) throw new InvalidOperationException($"{tensor.Name} is over 2 GB: use GetTensorPointer");
        return new ReadOnlySpan<byte>(GetTensorPointer(tensor), (int)tensor.ByteSize);
    }

    // ---- typed metadata access ----

    public bool Has(string key) => Metadata.ContainsKey(key);

    public string? GetString(string key) => Metadata.TryGetValue(key, out var v) ? v as string : null;

    public string RequireString(string key) => GetString(key) ?? throw Missing(key);

    /// <summary>An integer of any stored width (also accepts a bool as 0/1).</summary>
    public long? GetInteger(string key) => Metadata.TryGetValue(key, out var v) ? ToInteger(v) : null;

    public long RequireInteger(string key) => GetInteger(key) ?? throw Missing(key);

    public double? GetFloat(string key) => Metadata.TryGetValue(key, out var v) ? v switch
    {
        float f => f, double d => d, _ => ToInteger(v),
    } : null;

    public double RequireFloat(string key) => GetFloat(key) ?? throw Missing(key);

    public bool? GetBool(string key) => Metadata.TryGetValue(key, out var v) ? v switch
    {
        bool b => b, _ => ToInteger(v) is long l ? l != 0 : null,
    } : null;

    public GgufArray? GetArray(string key) => Metadata.TryGetValue(key, out var v) ? v as GgufArray : null;

    public string[]? GetStringArray(string key) => GetArray(key)?.Items as string[];

    private static long? ToInteger(object v) => v switch
    {
        byte b => b, sbyte sb => sb, ushort us => us, short s => s, uint u => u, int i => i,
        ulong ul => ul > long.MaxValue ? null : (long)ul, long l => l, bool b => b ? 1 : 0, _ => null,
    };

    private GgufFormatException Missing(string key) => new(Path, $"metadata key {MessageText.Quote(key)} is missing or has the wrong type");

    public void Dispose()
    {
        if (_base != null)
        {
            _view?.SafeMemoryMappedViewHandle.ReleasePointer();
            _base = null;
        }
        _view?.Dispose();
        _map?.Dispose();
    }

    /// <summary>Bounds-checked little-endian reader over the mapped header.</summary>
    private struct HeaderReader(byte* data, long length, string path)
    {
        public long Position;
        private long _values; // metadata values read so far (array elements count one each)

        private void Need(long n, string what)
        {
            if (n < 0 || Position + n > length)
                throw new GgufFormatException(path, $"unexpected end of file reading {what} at offset {Position} (truncated?)");
        }

        public uint U32() { Need(4, "a u32"); uint v = *(uint*)(data + Position); Position += 4; return v; }
        public ulong U64() { Need(8, "a u64"); ulong v = *(ulong*)(data + Position); Position += 8; return v; }

        public string String()
        {
            ulong len = U64();
            if (len > (ulong)(length - Position))
                throw new GgufFormatException(path, $"string length {len} at offset {Position - 8} runs past the end of the file");
            if (len > MaxStringBytes)
                throw new GgufFormatException(path, $"string of {len:N0} bytes at offset {Position - 8} is over this reader's limit of {MaxStringBytes:N0}");
            var s = Encoding.UTF8.GetString(data + Position, (int)len);
            Position += (long)len;
            return s;
        }

        private static int ScalarSize(GgufValueType t) => t switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
            _ => 0,
        };

        public object Value(GgufValueType type, int depth)
        {
            int size = ScalarSize(type);
            if (size > 0)
            {
                Need(size, type.ToString());
                byte* p = data + Position;
                Position += size;
                return type switch
                {
                    GgufValueType.UInt8 => *p,
                    GgufValueType.Int8 => *(sbyte*)p,
                    GgufValueType.Bool => *p != 0,
                    GgufValueType.UInt16 => *(ushort*)p,
                    GgufValueType.Int16 => *(short*)p,
                    GgufValueType.UInt32 => *(uint*)p,
                    GgufValueType.Int32 => *(int*)p,
                    GgufValueType.Float32 => *(float*)p,
                    GgufValueType.UInt64 => *(ulong*)p,
                    GgufValueType.Int64 => *(long*)p,
                    _ => *(double*)p,
                };
            }
            if (type == GgufValueType.String) return String();
            if (type != GgufValueType.Array)
                throw new GgufFormatException(path, $"unknown metadata value type {(uint)type} at offset {Position - 4}");
            if (depth > 8) throw new GgufFormatException(path, "metadata arrays nested too deeply");

            var elementType = (GgufValueType)U32();
            ulong count = U64();
            int elementSize = ScalarSize(elementType);
            long minBytes = elementSize > 0 ? elementSize : elementType == GgufValueType.String ? 8 : 12;
            if (elementSize == 0 && elementType is not (GgufValueType.String or GgufValueType.Array))
                throw new GgufFormatException(path, $"unknown array element type {(uint)elementType} at offset {Position - 12}");
            if (count > (ulong)((length - Position) / minBytes))
                throw new GgufFormatException(path, $"array of {count} {elementType} at offset {Position - 12} runs past the end of the file");
            if (count > MaxArrayLength)
                throw new GgufFormatException(path, $"array of {count:N0} values at offset {Position - 12} is over this reader's limit of {MaxArrayLength:N0}");
            _values += (long)count;
            if (_values > MaxMetadataValues)
                throw new GgufFormatException(path, $"metadata holds more than {MaxMetadataValues:N0} values (this reader's limit)");
            int n = (int)count;
            if (elementSize > 0)
            {
                Array items = elementType switch
                {
                    GgufValueType.UInt8 => new byte[n],
                    GgufValueType.Int8 => new sbyte[n],
                    GgufValueType.Bool => new bool[n],
                    GgufValueType.UInt16 => new ushort[n],
                    GgufValueType.Int16 => new short[n],
                    GgufValueType.UInt32 => new uint[n],
                    GgufValueType.Int32 => new int[n],
                    GgufValueType.Float32 => new float[n],
                    GgufValueType.UInt64 => new ulong[n],
                    GgufValueType.Int64 => new long[n],
                    _ => new double[n],
                };
                long bytes = (long)n * elementSize;
                if (elementType == GgufValueType.Bool)
                {
                    var b = (bool[])items;
                    for (int i = 0; i < n; i++) b[i] = data[Position + i] != 0;
                }
                else
                {
                    fixed (byte* dst = &System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(items))
                        Buffer.MemoryCopy(data + Position, dst, bytes, bytes);
                }
                Position += bytes;
                return new GgufArray(elementType, items);
            }
            if (elementType == GgufValueType.String)
            {
                var s = new string[n];
                for (int i = 0; i < n; i++) s[i] = String();
                return new GgufArray(elementType, s);
            }
            var nested = new object[n];
            for (int i = 0; i < n; i++) nested[i] = Value(GgufValueType.Array, depth + 1);
            return new GgufArray(elementType, nested);
        }
    }
}
