using R1Sharp.Models;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Tensors;
using R1Sharp.Training.Data;
using R1Sharp.Training.Sft;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Tests;

/// <summary>A model trained by SFT and exported runs in the inference engine with the training engine's logits.</summary>
public class ExportTests
{
    [Theory]
    [InlineData("qwen2", "f32", 1e-4)]
    [InlineData("llama", "f32", 1e-4)]
    [InlineData("qwen2", "q8_0", 3e-2)]
    public void ExportedModelGivesTheTrainingEnginesLogits(string arch, string type, double tolerance)
    {
        string dir = TestData.TempDir("export");
        string data = TestData.TokenRows(dir, 12);
        string run = Path.Combine(dir, "run");
        using var pool = new ComputePool(2);
        var options = new SftOptions
        {
            InitModel = arch == "qwen2" ? TestData.TinyQwen : TestData.TinyLlama, DataPath = data, BatchSize = 4, Steps = 3,
            LearningRate = 1e-2, SaveEvery = 3, Seed = 2,
        };
        using (var t = SftTrainer.Create(options, run, pool)) t.Run(null);
        string exported = Path.Combine(dir, "model.gguf");
        Export.Run(run, exported, type == "f32" ? GgmlType.F32 : GgmlType.Q8_0);

        int[] tokens = [316, 5, 77, 190, 3, 250, 12, 9, 300, 41, 41, 17];
        using var ck = GgufFile.Open(Path.Combine(run, SftTrainer.CheckpointFile));
        using var trained = ModelGguf.Load(ck, pool);
        trained.EnsureCapacity(1, tokens.Length);
        tokens.CopyTo(trained.Tokens);
        trained.Forward(1, tokens.Length);
        float[] expected = trained.Logits.ToArray();

        using var file = GgufFile.Open(exported);
        Assert.Equal(arch, file.GetString("general.architecture"));
        Assert.Null(file.GetString("r1.train.options"));
        Assert.False(file.TryGetTensor("adam.m.token_embd.weight", out _));
        if (type == "q8_0") Assert.Equal(GgmlType.Q8_0, file.GetTensor("blk.0.attn_q.weight").Type);
        // F32 KV cache: the training engine keeps keys/values in float32 (the default F16 cache rounds them)
        using var model = ModelLoader.Load(file, new ModelLoadOptions { KvType = GgmlType.F32 });
        int v = model.Config.VocabSize;
        Assert.Equal(trained.Config.VocabSize, v);
        using var seq = model.CreateSequence(tokens.Length);
        float[] logits = new float[tokens.Length * v];
        model.Forward([new ForwardItem(seq, tokens, logits, AllLogits: true)]);

        double num = 0, den = 0;
        for (int i = 0; i < logits.Length; i++) { num += Math.Pow(logits[i] - expected[i], 2); den += Math.Pow(expected[i], 2); }
        double rel = Math.Sqrt(num / den);
        Assert.True(rel < tolerance, $"relative RMS difference {rel}");
        Directory.Delete(dir, true);
    }
}
