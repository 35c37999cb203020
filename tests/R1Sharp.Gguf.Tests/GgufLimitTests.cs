using System.Buffers.Binary;
using System.Text;

namespace R1Sharp.Gguf.Tests;

/// <summary>Counts and lengths in a header are checked before anything is allocated from them (issue 13 item 5):
/// a hostile header costs a clear error, not gigabytes. Files are sparse, so the size checks against the file pass and
/// the reader's own limits are what stops them.</summary>
public sealed class GgufLimitTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"r1-gguf-limits-{Guid.NewGuid():N}.gguf");

    public void Dispose() => File.Delete(_path);

    /// <summary>Writes a v3 header (counts, then <paramref name="body"/>) into a sparse file of <paramref name="fileSize"/> bytes.</summary>
    private string Write(ulong tensorCount, ulong kvCount, byte[] body, long fileSize)
    {
        using var f = new FileStream(_path, FileMode.Create);
        var header = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, GgufFile.Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), tensorCount);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), kvCount);
        f.Write(header);
        f.Write(body);
        f.SetLength(fileSize);
        return _path;
    }

    private static byte[] Key(string key, GgufValueType type, params byte[][] value)
    {
        var ms = new MemoryStream();
        var bytes = Encoding.UTF8.GetBytes(key);
        ms.Write(BitConverter.GetBytes((ulong)bytes.Length));
        ms.Write(bytes);
        ms.Write(BitConverter.GetBytes((uint)type));
        foreach (var v in value) ms.Write(v);
        return ms.ToArray();
    }

    private static (string Message, long Bytes) Fails(string path)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose());
        return (e.Problem, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void AHugeMetadataCountIsRefusedWithoutAllocatingForIt()
    {
        var (message, bytes) = Fails(Write(0, 1UL << 24, [], 1L << 30));
        Assert.Contains("metadata count 16,777,216 is over this reader's limit", message);
        Assert.True(bytes < 1 << 20, $"{bytes} bytes");
    }

    [Fact]
    public void AHugeTensorCountIsRefusedWithoutAllocatingForIt()
    {
        var (message, bytes) = Fails(Write(1UL << 25, 0, [], 1L << 30));
        Assert.Contains("tensor count 33,554,432 is over this reader's limit", message);
        Assert.True(bytes < 1 << 20, $"{bytes} bytes");
    }

    [Fact]
    public void ClaimedCountsDoNotPresizeCollections()
    {
        // 60,000 claimed pairs (under the limit) in a file whose first pair is already malformed: nothing sized by the claim
        var (message, bytes) = Fails(Write(0, 60_000, Key("a", (GgufValueType)99), 1 << 20));
        Assert.Contains("unknown metadata value type 99", message);
        Assert.True(bytes < 1 << 20, $"{bytes} bytes");
    }

    [Fact]
    public void AHugeStringIsRefused()
    {
        var (message, bytes) = Fails(Write(0, 1, Key("general.name", GgufValueType.String, BitConverter.GetBytes(100UL << 20)), 200L << 20));
        Assert.Contains("string of 104,857,600 bytes at offset", message);
        Assert.True(bytes < 1 << 20, $"{bytes} bytes");
    }

    [Fact]
    public void HugeArraysAreRefused()
    {
        var array = Key("tokenizer.ggml.scores", GgufValueType.Array, BitConverter.GetBytes((uint)GgufValueType.UInt8), BitConverter.GetBytes(1UL << 26));
        var (message, bytes) = Fails(Write(0, 1, array, 100L << 20));
        Assert.Contains("array of 67,108,864 values", message);
        Assert.True(bytes < 1 << 20, $"{bytes} bytes");

        // many arrays under the per-array limit: the total is bounded too
        var ms = new MemoryStream();
        for (int i = 0; i < 3; i++)
            ms.Write(Key($"k{i}", GgufValueType.Array, BitConverter.GetBytes((uint)GgufValueType.UInt8), BitConverter.GetBytes(15UL << 20), new byte[15 << 20]));
        Assert.Contains("more than 33,554,432 values", Fails(Write(0, 3, ms.ToArray(), 100L << 20)).Message);
    }

    [Fact]
    public void ADirectoryIsNamedAsSuch()
    {
        string dir = Directory.CreateTempSubdirectory("r1-gguf-").FullName;
        try { Assert.Contains("is a directory", Assert.Throws<GgufFormatException>(() => GgufFile.Open(dir)).Message); }
        finally { Directory.Delete(dir); }
    }

    [Fact]
    public void AlignmentMayBeStoredInAnyIntegerWidth()
    {
        // llama.cpp writes u32, but a u16 is the same number (was: "general.alignment 64 is not a power of two")
        using var f = GgufFile.Open(Write(0, 1, Key("general.alignment", GgufValueType.UInt16, BitConverter.GetBytes((ushort)64)), 256));
        Assert.Equal(64, f.Alignment);
    }

    [Fact]
    public void NamesFromTheFileAreShownOnOneLineAndShort()
    {
        // found by the fuzz harness: a tensor name that swallowed the rest of the header made a multi-kilobyte,
        // multi-line message
        var ms = new MemoryStream();
        string name = "blk.0\n" + new string('x', 5000);
        var bytes = Encoding.UTF8.GetBytes(name);
        ms.Write(BitConverter.GetBytes((ulong)bytes.Length));
        ms.Write(bytes);
        ms.Write(BitConverter.GetBytes(99u));   // 99 dimensions
        var (message, _) = Fails(Write(1, 0, ms.ToArray(), 1 << 20));
        Assert.DoesNotContain('\n', message);
        Assert.StartsWith("tensor 'blk.0\\nxxx", message);
        Assert.Contains("... (5,006 characters) has 99 dimensions", message);
        Assert.True(message.Length < 150, message);
    }
}
