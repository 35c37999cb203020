using System.Text;
using R1Sharp.Gguf;
using R1Sharp.Inference;
using R1Sharp.Inference.Batching;
using R1Sharp.Models;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Tokenization;

namespace R1Sharp.Training.Tests;

/// <summary>An inference model over a trainer's live parameters computes what the same parameters exported to a
/// float32 GGUF and loaded normally compute, before and after an optimizer step, and generates the same text.</summary>
public class LiveWeightsTests
{
    private static readonly int[] Prompt = [316, 5, 77, 190, 3, 250, 12, 9, 300, 41, 41, 17];

    [Theory]
    [InlineData("qwen2")]
    [InlineData("llama")]
    public void LogitsOverLiveWeightsEqualTheExportedFilesBeforeAndAfterAnAdamWStep(string arch)
    {
        string dir = TestData.TempDir("live");
        using var pool = new ComputePool(2);
        using var source = GgufFile.Open(arch == "qwen2" ? TestData.TinyQwen : TestData.TinyLlama);
        using var trainable = ModelGguf.Load(source, pool);
        using var live = trainable.CreateInferenceModel();
        Assert.Equal(trainable.Config.VocabSize, live.Config.VocabSize);

        float[] before = AllLogits(live, Prompt);
        AssertClose(ExportedLogits(source, trainable, Path.Combine(dir, "before.gguf")), before, 1e-5);
        // and the training engine's own forward pass (its kernels, not the engine's) agrees to float rounding
        AssertClose(TrainingLogits(trainable, Prompt), before, 1e-4);

        OptimizerStep(trainable, pool);
        float[] after = AllLogits(live, Prompt);
        Assert.True(RelativeRms(after, before) > 1e-3, "the live model did not see the optimizer step");
        AssertClose(ExportedLogits(source, trainable, Path.Combine(dir, "after.gguf")), after, 1e-5);
        AssertClose(TrainingLogits(trainable, Prompt), after, 1e-4);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void GenerationOnLiveWeightsEqualsGenerationFromTheExportedFile()
    {
        string dir = TestData.TempDir("live-gen");
        using var pool = new ComputePool(2);
        using var source = GgufFile.Open(TestData.TinyQwen);
        using var trainable = ModelGguf.Load(source, pool);
        var live = trainable.CreateInferenceModel();
        using var liveEngine = new BatchingEngine(live, Tokenizer.FromGguf(source), template: null, "live", owned: live);
        var parameters = new GenerationParameters { Temperature = 0.8f, Seed = 11, MaxTokens = 24, IgnoreEos = true };
        int[] prompt = liveEngine.PrepareCompletion("12 * 25 = ").Tokens;

        var first = Generate(liveEngine, prompt, parameters);
        OptimizerStep(trainable, pool);
        liveEngine.WeightsChanged();
        var second = Generate(liveEngine, prompt, parameters);
        Assert.Equal(0, second.Finished.CachedPromptTokens); // no KV of the old weights reused
        Assert.NotEqual(first.Tokens, second.Tokens);

        string path = Export(source, trainable, Path.Combine(dir, "after.gguf"));
        using (var fileEngine = BatchingEngine.Load(path, loadOptions: new ModelLoadOptions { Threads = 2, KvType = GgmlType.F32 }))
        {
            var fromFile = Generate(fileEngine, prompt, parameters);
            Assert.Equal(fromFile.Tokens, second.Tokens);
            Assert.Equal(fromFile.Text, second.Text);
        }

        // Without being told, the engine would reuse the prompt's KV: the same request now hits the cache.
        var third = Generate(liveEngine, prompt, parameters);
        Assert.True(third.Finished.CachedPromptTokens > 0);
        Assert.Equal(second.Tokens, third.Tokens);
        Directory.Delete(dir, true);
    }

    private sealed record Generation(string Text, IReadOnlyList<int> Tokens, GenerationFinished Finished);

    private static Generation Generate(BatchingEngine engine, int[] prompt, GenerationParameters parameters)
    {
        var reader = engine.Submit(new GenerationRequest(prompt, parameters, SplitReasoning: false) { ReturnTokens = true });
        var text = new StringBuilder();
        GenerationFinished? finished = null;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            while (reader.TryRead(out var update))
                if (update is GenerationText t) text.Append(t.Text);
                else finished = (GenerationFinished)update;
        Assert.NotNull(finished);
        Assert.Equal("length", finished.FinishReason);
        return new Generation(text.ToString(), finished.Tokens!, finished);
    }

    /// <summary>One AdamW step on two rows of next-token prediction.</summary>
    private static void OptimizerStep(TrainableModel model, ComputePool pool)
    {
        const int b = 2, t = 10;
        model.EnsureCapacity(b, t);
        for (int i = 0; i < b * t; i++)
        {
            model.Tokens[i] = (7 + 13 * i) % 300;
            model.Targets[i] = (20 + 13 * i) % 300;
            model.Weights[i] = 1;
        }
        model.Gradients.Clear();
        model.Forward(b, t);
        model.Loss(1f / (b * t), prepareBackward: true);
        model.Backward();
        using var adam = new AdamW(model.Parameters, new AdamWOptions(), pool);
        adam.Update(model.Parameters, model.Gradients, 1e-2);
    }

    /// <summary>All logits of <see cref="Prompt"/> from the parameters exported to a float32 GGUF and loaded normally.</summary>
    // the exported files load with an F32 KV cache, as the live model over the trainer's weights runs
    private static float[] ExportedLogits(GgufFile source, TrainableModel model, string path)
    {
        using var loaded = LoadedModel.Load(Export(source, model, path), new ModelLoadOptions { Threads = 2, KvType = GgmlType.F32 });
        return AllLogits(loaded.Model, Prompt);
    }

    /// <summary>The parameters as a float32 GGUF with the source's metadata (tokenizer included).</summary>
    private static string Export(GgufFile source, TrainableModel model, string path)
    {
        var w = new GgufWriter();
        w.CopyMetadata(source, _ => true);
        ModelGguf.AddTensors(w, model.Parameters);
        w.Write(path);
        return path;
    }

    private static float[] AllLogits(ILanguageModel model, int[] tokens)
    {
        using var seq = model.CreateSequence(tokens.Length);
        float[] logits = new float[tokens.Length * model.Config.VocabSize];
        model.Forward([new ForwardItem(seq, tokens, logits, AllLogits: true)]);
        return logits;
    }

    private static float[] TrainingLogits(TrainableModel model, int[] tokens)
    {
        model.EnsureCapacity(1, tokens.Length);
        tokens.CopyTo(model.Tokens);
        model.Forward(1, tokens.Length);
        return model.Logits.ToArray();
    }

    private static double RelativeRms(float[] actual, float[] expected)
    {
        double num = 0, den = 0;
        for (int i = 0; i < expected.Length; i++) { num += Math.Pow(actual[i] - expected[i], 2); den += Math.Pow(expected[i], 2); }
        return Math.Sqrt(num / den);
    }

    private static void AssertClose(float[] actual, float[] expected, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double rel = RelativeRms(actual, expected);
        Assert.True(rel <= tolerance, $"relative RMS difference {rel} > {tolerance}");
    }
}
