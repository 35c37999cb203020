using R1Sharp.Gguf;

namespace R1Sharp.Models.Tests;

/// <summary>
/// Models in one process share no compute state: each owns its thread pool, matmul scratch and attention scratch,
/// so two models running Forward at the same time on two threads give exactly the logits each gives alone.
/// </summary>
public sealed class ConcurrentModelsTests
{
    public static TheoryData<string, int, string, int> Pairs() => new()
    {
        { "tiny-qwen2-s1-q8_0.gguf", 2, "tiny-llama-s1-q4_k_m.gguf", 2 },    // Q8_0 vs Q8_K activation scratch
        { "tiny-qwen2b-s1-f32.gguf", 1, "tiny-deepseek2-s1-q8_0.gguf", 2 },  // dense vs MLA/MoE, different pool sizes
    };

    /// <summary>A prefill (all logits; long enough for parallel attention) then 8 greedy decode steps.</summary>
    private static float[] Run(ILanguageModel model, int[] prompt)
    {
        int vocab = model.Config.VocabSize, steps = 8;
        var logits = new float[(prompt.Length + steps) * vocab];
        using var seq = model.CreateSequence(prompt.Length + steps);
        model.Forward([new ForwardItem(seq, prompt, logits.AsMemory(0, prompt.Length * vocab), AllLogits: true)]);
        int next = GoldenFixtures.ArgMax(logits.AsSpan((prompt.Length - 1) * vocab, vocab));
        for (int s = 0; s < steps; s++)
        {
            var row = logits.AsMemory((prompt.Length + s) * vocab, vocab);
            model.Forward([new ForwardItem(seq, new[] { next }, row)]);
            next = GoldenFixtures.ArgMax(row.Span);
        }
        return logits;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task TwoModelsOnTwoThreadsGiveTheLogitsTheyGiveAlone(string first, int firstThreads, string second, int secondThreads)
    {
        using var fileA = GgufFile.Open(GoldenFixtures.ModelPath(first));
        using var fileB = GgufFile.Open(GoldenFixtures.ModelPath(second));
        using var a = ModelLoader.Load(fileA, new ModelLoadOptions { Threads = firstThreads });
        using var b = ModelLoader.Load(fileB, new ModelLoadOptions { Threads = secondThreads });
        int[] promptA = GoldenFixtures.Get(first).Sequences[0], promptB = GoldenFixtures.Get(second).Sequences[0];

        float[] aloneA = Run(a, promptA), aloneB = Run(b, promptB);
        await Task.WhenAll(
            Task.Factory.StartNew(() => { for (int i = 0; i < 4; i++) Assert.Equal(aloneA, Run(a, promptA)); }, TaskCreationOptions.LongRunning),
            Task.Factory.StartNew(() => { for (int i = 0; i < 4; i++) Assert.Equal(aloneB, Run(b, promptB)); }, TaskCreationOptions.LongRunning))
            .WaitAsync(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public void ThreadCountChangesNoLogits()
    {
        // Every matmul row and attention pair is computed by one thread in a fixed order: any pool size, same bits.
        const string model = "tiny-qwen2-s1-q4_k_m.gguf";
        using var file = GgufFile.Open(GoldenFixtures.ModelPath(model));
        int[] prompt = GoldenFixtures.Get(model).Sequences[1];
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var lm = ModelLoader.Load(file, new ModelLoadOptions { Threads = threads });
            float[] logits = Run(lm, prompt);
            if (first == null) first = logits;
            else Assert.Equal(first, logits);
        }
    }

    [Fact]
    public void DecodeStepsAllocateNothing()
    {
        // The model's pool, matmul and attention scratch are reused: after warm-up a decode step allocates no memory.
        using var file = GgufFile.Open(GoldenFixtures.ModelPath("tiny-qwen2-s1-q8_0.gguf"));
        using var lm = ModelLoader.Load(file, new ModelLoadOptions { Threads = 2 });
        var logits = new float[lm.Config.VocabSize];
        using var seq = lm.CreateSequence(600);
        lm.Forward([new ForwardItem(seq, GoldenFixtures.Get("tiny-qwen2-s1-q8_0.gguf").Sequences[3], logits)]); // 300 tokens
        int[] token = [0];
        ForwardItem[] step = [new ForwardItem(seq, token, logits)];
        for (int i = 0; i < 3; i++) { token[0] = GoldenFixtures.ArgMax(logits); lm.Forward(step); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) { token[0] = GoldenFixtures.ArgMax(logits); lm.Forward(step); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ThreadsBelowOneAreRefused()
    {
        using var file = GgufFile.Open(GoldenFixtures.ModelPath("tiny-qwen2-s1-f32.gguf"));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ModelLoader.Load(file, new ModelLoadOptions { Threads = 0 }));
        Assert.Contains("at least 1", e.Message);
    }
}
