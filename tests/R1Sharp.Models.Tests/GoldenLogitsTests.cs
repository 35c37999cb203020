using Xunit.Abstractions;
using R1Sharp.Gguf;

namespace R1Sharp.Models.Tests;

/// <summary>Every position of every manifest sequence against llama.cpp's logits (tests/fixtures/golden), with the
/// weights laid out for the kernels (16-row tiles, the default) with the default F16 KV cache, and computed from the
/// file map (--mmap: row kernels) with an F32 KV cache.</summary>
public sealed class GoldenLogitsTests(ITestOutputHelper output)
{
    public static TheoryData<string, bool, GgmlType> Models()
    {
        var d = new TheoryData<string, bool, GgmlType>();
        foreach (string m in GoldenFixtures.DenseModels()) { d.Add(m, false, GgmlType.F16); d.Add(m, true, GgmlType.F32); }
        return d;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void LogitsMatchLlamaCpp(string model, bool mmap, GgmlType kvType)
    {
        var entry = GoldenFixtures.Get(model);
        float[] reference = GoldenFixtures.ReferenceLogits(entry);
        using var file = GgufFile.Open(GoldenFixtures.ModelPath(model));
        using var lm = ModelLoader.Load(file, new ModelLoadOptions { Mmap = mmap, KvType = kvType });
        int vocab = lm.Config.VocabSize;
        Assert.Equal(entry.Vocab, vocab);

        var errors = new List<double>();
        int agree = 0, offset = 0;
        foreach (var tokens in entry.Sequences)
        {
            var logits = new float[tokens.Length * vocab];
            using var seq = lm.CreateSequence(tokens.Length);
            lm.Forward([new ForwardItem(seq, tokens, logits, AllLogits: true)]);
            Assert.Equal(tokens.Length, seq.Length);
            for (int t = 0; t < tokens.Length; t++)
            {
                var actual = logits.AsSpan(t * vocab, vocab);
                var expected = reference.AsSpan(offset + t * vocab, vocab);
                errors.Add(GoldenFixtures.RelativeRms(actual, expected));
                if (GoldenFixtures.ArgMax(actual) == GoldenFixtures.ArgMax(expected)) agree++;
            }
            offset += tokens.Length * vocab;
        }
        Assert.Equal(reference.Length, offset);

        errors.Sort();
        double median = errors[errors.Count / 2];
        double top1 = (double)agree / errors.Count;
        (double maxError, double minTop1) = model switch
        {
            _ when model.Contains("-f32.") || model.Contains("-f16.") => (2e-3, 0.99),
            _ when model.Contains("-bf16.") => (1e-2, 0.98),
            _ => (5e-2, 0.93),
        };
        output.WriteLine($"{model} (mmap {mmap}, KV {kvType}): median relative RMS {median:E3}, top-1 {top1:P2}");
        Assert.True(median < maxError && top1 >= minTop1,
            $"{model}: median relative RMS {median:E3} (limit {maxError:E0}), top-1 agreement {top1:P2} (limit {minTop1:P0})");
    }
}
