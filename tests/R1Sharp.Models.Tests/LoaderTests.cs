using R1Sharp.Gguf;
using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Models.Tests;

public sealed class LoaderTests
{
    [Fact]
    public void ConfigComesFromMetadata()
    {
        using var file = GgufFile.Open(GoldenFixtures.ModelPath("tiny-qwen2b-s1-f32.gguf"));
        var c = ModelConfig.FromGguf(file);
        Assert.Equal("qwen2", c.Architecture);
        Assert.Equal((256, 3, 8, 1, 32, 768, 322), (c.EmbeddingLength, c.LayerCount, c.HeadCount, c.HeadCountKv, c.KeyLength, c.FeedForwardLength, c.VocabSize));
        Assert.Equal(1e6f, c.RopeFreqBase);
        Assert.Equal(RopeStyle.Neox, c.RopeStyle);
        Assert.True(c.TiedOutput);
        Assert.True(c.QkvBias);

        using var llama = GgufFile.Open(GoldenFixtures.ModelPath("tiny-llama-s1-f32.gguf"));
        var l = ModelConfig.FromGguf(llama);
        Assert.Equal((RopeStyle.Normal, 5e5f, 8, 2, 32), (l.RopeStyle, l.RopeFreqBase, l.HeadCount, l.HeadCountKv, l.KeyLength));
        Assert.False(l.QkvBias);
    }

    [Theory]
    [InlineData("tiny-qwen2b-s1-f32.gguf")]
    [InlineData("tiny-llama-s1-f32.gguf")]
    [InlineData("")] // a configuration with every optional key: key/value lengths of their own, linear rope scaling
    public void MetadataWrittenFromAConfigReadsBackAsTheSameConfig(string model)
    {
        var w = new GgufWriter();
        ModelConfig c, expected;
        if (model.Length > 0)
        {
            using var file = GgufFile.Open(GoldenFixtures.ModelPath(model));
            c = expected = ModelConfig.FromGguf(file);
            CopyTensors(w, file, _ => true);
        }
        else
        {
            c = ModelConfig.Dense("llama", 100, 64, 2, 4, 2, 96, 256, name: "odd") with
                { KeyLength = 24, ValueLength = 20, RopeDimensionCount = 16, RopeFreqScale = 0.25f, RmsEpsilon = 1e-5f };
            // the reader counts layers by their tensors; without output.weight the output is tied
            for (int l = 0; l < c.LayerCount; l++) w.AddTensor($"blk.{l}.attn_norm.weight", [64], new float[64]);
            expected = c with { TiedOutput = true };
        }
        foreach (var (key, type, value) in c.Metadata()) w.Add(key, type, value);
        string path = Path.Combine(Path.GetTempPath(), $"r1-models-{Guid.NewGuid():N}.gguf");
        w.Write(path);
        try
        {
            using var back = GgufFile.Open(path);
            Assert.Equal(expected, ModelConfig.FromGguf(back));
        }
        finally { File.Delete(path); }
    }

    private static string Rewrite(string model, Action<GgufWriter, GgufFile> build)
    {
        using var src = GgufFile.Open(GoldenFixtures.ModelPath(model));
        var w = new GgufWriter();
        build(w, src);
        string path = Path.Combine(Path.GetTempPath(), $"r1-models-{Guid.NewGuid():N}.gguf");
        w.Write(path);
        return path;
    }

    private static void CopyTensors(GgufWriter w, GgufFile src, Func<string, bool> include)
    {
        foreach (var t in src.Tensors)
            if (include(t.Name)) w.AddTensor(t.Name, t.Type, t.Dimensions, src.GetTensorBytes(t).ToArray());
    }

    private static ModelFormatException LoadFails(string path)
    {
        try
        {
            using var f = GgufFile.Open(path);
            return Assert.Throws<ModelFormatException>(() => ModelLoader.Load(f).Dispose());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void UnsupportedArchitectureIsAClearError()
    {
        string path = Rewrite("tiny-qwen2-s1-f32.gguf", (w, src) =>
        {
            w.CopyMetadata(src, k => k != "general.architecture" && !k.StartsWith("qwen2.", StringComparison.Ordinal));
            w.Set("general.architecture", "mamba");
            CopyTensors(w, src, _ => true);
        });
        var e = LoadFails(path);
        Assert.Contains("unsupported architecture 'mamba'", e.Message);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        string path = Rewrite("tiny-qwen2-s1-f32.gguf", (w, src) =>
        {
            w.CopyMetadata(src);
            CopyTensors(w, src, n => n != "blk.1.ffn_down.weight");
        });
        Assert.Contains("'blk.1.ffn_down.weight' is missing", LoadFails(path).Message);
    }

    [Fact]
    public void UnknownTensorIsNamed()
    {
        string path = Rewrite("tiny-llama-s1-f32.gguf", (w, src) =>
        {
            w.CopyMetadata(src);
            CopyTensors(w, src, _ => true);
            w.AddTensor("blk.0.attn_q_norm.weight", GgmlType.F32, [32], new byte[128]);
        });
        Assert.Contains("unknown tensor 'blk.0.attn_q_norm.weight'", LoadFails(path).Message);
    }

    [Fact]
    public void WrongShapeIsNamed()
    {
        string path = Rewrite("tiny-llama-s1-f32.gguf", (w, src) =>
        {
            w.CopyMetadata(src, k => k != "llama.feed_forward_length");
            w.Set("llama.feed_forward_length", 640u);
            CopyTensors(w, src, _ => true);
        });
        Assert.Contains("blk.0.ffn_gate.weight", LoadFails(path).Message);
    }
}
