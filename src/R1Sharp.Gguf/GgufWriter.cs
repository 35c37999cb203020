using System.Text;

namespace R1Sharp.Gguf;

/// <summary>
/// Writes GGUF v3 files: metadata (any value type, nested arrays included) and tensors whose bytes are
/// already in their ggml block layout. The file is written to a temporary name and renamed into place,
/// so a crash never leaves a half-written file under the final name.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<(string Key, GgufValueType Type, object Value)> _metadata = [];
    private readonly List<(string Name, GgmlType Type, long[] Dims, Func<ReadOnlyMemory<byte>> Data, long Size)> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public int Alignment { get; set; } = GgufFile.DefaultAlignment;

    public GgufWriter Set(string key, string value) => Add(key, GgufValueType.String, value);
    public GgufWriter Set(string key, uint value) => Add(key, GgufValueType.UInt32, value);
    public GgufWriter Set(string key, int value) => Add(key, GgufValueType.Int32, value);
    public GgufWriter Set(string key, ulong value) => Add(key, GgufValueType.UInt64, value);
    public GgufWriter Set(string key, long value) => Add(key, GgufValueType.Int64, value);
    public GgufWriter Set(string key, float value) => Add(key, GgufValueType.Float32, value);
    public GgufWriter Set(string key, double value) => Add(key, GgufValueType.Float64, value);
    public GgufWriter Set(string key, bool value) => Add(key, GgufValueType.Bool, value);
    public GgufWriter Set(string key, string[] values) => Add(key, GgufValueType.Array, new GgufArray(GgufValueType.String, values));
    public GgufWriter Set(string key, int[] values) => Add(key, GgufValueType.Array, new GgufArray(GgufValueType.Int32, values));
    public GgufWriter Set(string key, float[] values) => Add(key, GgufValueType.Array, new GgufArray(GgufValueType.Float32, values));
    public GgufWriter Set(string key, GgufArray array) => Add(key, GgufValueType.Array, array);

    /// <summary>Adds a value with an explicit type (used to copy metadata from another file unchanged).</summary>
    public GgufWriter Add(string key, GgufValueType type, object value)
    {
        _metadata.RemoveAll(m => m.Key == key);
        _metadata.Add((key, type, value));
        if (key == "general.alignment")
        {
            long alignment = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
            if (alignment <= 0 || alignment > 1 << 20 || (alignment & (alignment - 1)) != 0)
                throw new ArgumentException($"general.alignment {value} is not a power of two up to 1 MiB");
            Alignment = (int)alignment;
        }
        return this;
    }

    /// <summary>Copies every metadata entry of <paramref name="source"/> with its original type.</summary>
    public GgufWriter CopyMetadata(GgufFile source, Func<string, bool>? include = null)
    {
        foreach (string key in source.MetadataKeys)
            if (include?.Invoke(key) ?? true) Add(key, source.MetadataTypes[key], source.Metadata[key]);
        return this;
    }

    /// <summary>Adds a tensor. <paramref name="dims"/> in ggml order (row length first); <paramref name="data"/> in the type's block layout.</summary>
    public GgufWriter AddTensor(string name, GgmlType type, long[] dims, ReadOnlyMemory<byte> data)
    {
        long size = ExpectedBytes(type, dims);
        if (data.Length != size) throw new ArgumentException($"tensor '{name}': {data.Length} bytes given, {size} expected for {type} [{string.Join(", ", dims)}]");
        return AddTensor(name, type, dims, () => data, size);
    }

    /// <summary>Adds a float32 tensor.</summary>
    public GgufWriter AddTensor(string name, long[] dims, float[] data) =>
        AddTensor(name, GgmlType.F32, dims, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()).ToArray());

    /// <summary>Adds a tensor whose bytes are produced lazily at write time (keeps big exports out of memory).</summary>
    public GgufWriter AddTensor(string name, GgmlType type, long[] dims, Func<ReadOnlyMemory<byte>> data, long size)
    {
        if (!_names.Add(name)) throw new ArgumentException($"duplicate tensor '{name}'");
        _tensors.Add((name, type, (long[])dims.Clone(), data, size));
        return this;
    }

    public static long ExpectedBytes(GgmlType type, long[] dims)
    {
        long elements = 1;
        foreach (long d in dims) elements *= d;
        return GgmlTypeInfo.RowBytes(type, dims[0]) * (elements / dims[0]);
    }

    /// <summary>Writes the file atomically (temporary file, flush, rename).</summary>
    public void Write(string path)
    {
        string full = Path.GetFullPath(path);
        string tmp = full + $".tmp{Environment.ProcessId}";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteTo(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public void WriteTo(Stream stream)
    {
        var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(GgufFile.Magic);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, type, value) in _metadata)
        {
            WriteString(w, key);
            w.Write((uint)type);
            WriteValue(w, type, value);
        }
        long offset = 0;
        foreach (var t in _tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Dims.Length);
            foreach (long d in t.Dims) w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write((ulong)offset);
            offset = GgufFile.AlignUp(offset + t.Size, Alignment);
        }
        w.Flush();
        Pad(stream, Alignment);
        foreach (var t in _tensors)
        {
            var data = t.Data();
            if (data.Length != t.Size) throw new InvalidOperationException($"tensor '{t.Name}' produced {data.Length} bytes, {t.Size} expected");
            stream.Write(data.Span);
            Pad(stream, Alignment);
        }
    }

    private static void Pad(Stream s, int alignment)
    {
        long pad = GgufFile.AlignUp(s.Position, alignment) - s.Position;
        for (long i = 0; i < pad; i++) s.WriteByte(0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.UInt8: w.Write(Convert.ToByte(value)); break;
            case GgufValueType.Int8: w.Write(Convert.ToSByte(value)); break;
            case GgufValueType.UInt16: w.Write(Convert.ToUInt16(value)); break;
            case GgufValueType.Int16: w.Write(Convert.ToInt16(value)); break;
            case GgufValueType.UInt32: w.Write(Convert.ToUInt32(value)); break;
            case GgufValueType.Int32: w.Write(Convert.ToInt32(value)); break;
            case GgufValueType.UInt64: w.Write(Convert.ToUInt64(value)); break;
            case GgufValueType.Int64: w.Write(Convert.ToInt64(value)); break;
            case GgufValueType.Float32: w.Write(Convert.ToSingle(value)); break;
            case GgufValueType.Float64: w.Write(Convert.ToDouble(value)); break;
            case GgufValueType.Bool: w.Write((byte)(Convert.ToBoolean(value) ? 1 : 0)); break;
            case GgufValueType.String: WriteString(w, (string)value); break;
            case GgufValueType.Array:
                var a = (GgufArray)value;
                w.Write((uint)a.ElementType);
                w.Write((ulong)a.Count);
                foreach (object? item in a.Items) WriteValue(w, a.ElementType, item!);
                break;
            default: throw new ArgumentException($"unknown value type {type}");
        }
    }
}
