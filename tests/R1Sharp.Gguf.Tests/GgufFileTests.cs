using R1Sharp.Gguf;
using R1Sharp.TestSupport;

namespace R1Sharp.Gguf.Tests;

public class GgufFileTests
{
    [Fact]
    public void ReadsGoldenQwen2Model()
    {
        using var f = GgufFile.Open(Fixtures.Path("golden", "models", "tiny-qwen2-s1-q8_0.gguf"));
        Assert.Equal(3u, f.Version);
        Assert.Equal("qwen2", f.RequireString("general.architecture"));
        Assert.Equal(256, f.RequireInteger("qwen2.embedding_length"));
        Assert.Equal(322, f.GetStringArray("tokenizer.ggml.tokens")!.Length);
        Assert.Equal(27, f.Tensors.Count);
        var embd = f.GetTensor("token_embd.weight");
        Assert.Equal([256L, 322L], embd.Dimensions);
        Assert.Contains(f.Tensors, t => t.Type == GgmlType.Q8_0);
    }

    [Fact]
    public void WriterRoundTripsMetadataAndTensors()
    {
        string path = System.IO.Path.GetTempFileName();
        try
        {
            var nested = new GgufArray(GgufValueType.Array, new object[]
            {
                new GgufArray(GgufValueType.Int32, new[] { 1, 2 }),
                new GgufArray(GgufValueType.String, new[] { "a", "é" }),
            });
            float[] data = Enumerable.Range(0, 64).Select(i => i * 0.5f).ToArray();
            new GgufWriter()
                .Set("general.architecture", "test")
                .Set("x.u32", 7u).Set("x.f64", 2.5).Set("x.bool", true).Set("x.i64", -5L)
                .Set("x.nested", nested)
                .Set("x.floats", new[] { 1f, 2f })
                .AddTensor("w", [32, 2], data)
                .Write(path);
            using var f = GgufFile.Open(path);
            Assert.Equal("test", f.GetString("general.architecture"));
            Assert.Equal(7, f.GetInteger("x.u32"));
            Assert.Equal(2.5, f.GetFloat("x.f64"));
            Assert.True(f.GetBool("x.bool"));
            Assert.Equal(-5, f.GetInteger("x.i64"));
            var n = f.GetArray("x.nested")!;
            Assert.Equal(GgufValueType.Array, n.ElementType);
            Assert.Equal(new[] { 1, 2 }, (int[])((GgufArray)n.Items.GetValue(0)!).Items);
            Assert.Equal(new[] { "a", "é" }, (string[])((GgufArray)n.Items.GetValue(1)!).Items);
            var t = f.GetTensor("w");
            Assert.Equal(data, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f.GetTensorBytes(t)).ToArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MalformedBytesAlwaysGiveOneClearError()
    {
        byte[] good = File.ReadAllBytes(Fixtures.Path("golden", "models", "tiny-qwen2-s1-q4_0.gguf"));
        var rng = new Random(1234);
        string path = System.IO.Path.GetTempFileName();
        try
        {
            // truncations at many points, including inside the header and inside tensor data
            foreach (int len in new[] { 0, 3, 4, 10, 23, 24, 100, 1000, 5000, 20000, good.Length / 2, good.Length - 1 })
            {
                File.WriteAllBytes(path, good.AsSpan(0, len).ToArray());
                var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose());
                Assert.Contains(System.IO.Path.GetFileName(path), e.Message);
            }
            // random byte corruption in the header: either reads (harmless change) or a GgufFormatException, never anything else
            for (int trial = 0; trial < 400; trial++)
            {
                byte[] bad = (byte[])good.Clone();
                int flips = 1 + rng.Next(4);
                for (int k = 0; k < flips; k++) bad[rng.Next(Math.Min(bad.Length, 8000))] = (byte)rng.Next(256);
                File.WriteAllBytes(path, bad);
                try { GgufFile.Open(path).Dispose(); }
                catch (GgufFormatException) { }
            }
            byte[] magic = (byte[])good.Clone();
            magic[0] = (byte)'X';
            File.WriteAllBytes(path, magic);
            Assert.Contains("not a GGUF file", Assert.Throws<GgufFormatException>(() => GgufFile.Open(path)).Message);
        }
        finally { File.Delete(path); }
    }
}
