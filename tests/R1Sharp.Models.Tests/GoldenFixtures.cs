using System.Text.Json;
using R1Sharp.TestSupport;

namespace R1Sharp.Models.Tests;

/// <summary>tests/fixtures/golden/manifest.json: llama.cpp's logits for token sequences of the tiny models.</summary>
public static class GoldenFixtures
{
    public sealed record Entry(string Model, int Vocab, int[][] Sequences, string LogitsFile);

    private static readonly Lazy<Entry[]> s_entries = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden", "manifest.json")));
        return doc.RootElement.EnumerateArray().Select(e => new Entry(
            e.GetProperty("model").GetString()!,
            e.GetProperty("n_vocab").GetInt32(),
            e.GetProperty("sequences").EnumerateArray().Select(s => s.EnumerateArray().Select(t => t.GetInt32()).ToArray()).ToArray(),
            e.GetProperty("logits_file").GetString()!)).ToArray();
    });

    public static Entry Get(string model) => s_entries.Value.Single(e => e.Model == model);

    /// <summary>The dense (qwen2 / llama layout) models of the manifest.</summary>
    public static TheoryData<string> DenseModels()
    {
        var data = new TheoryData<string>();
        foreach (var e in s_entries.Value)
            if (e.Model.StartsWith("tiny-qwen2", StringComparison.Ordinal) || e.Model.StartsWith("tiny-llama", StringComparison.Ordinal))
                data.Add(e.Model);
        return data;
    }

    public static string ModelPath(string model) => Fixtures.Path("golden", "models", model);

    public static float[] ReferenceLogits(Entry e)
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("golden", "logits", e.LogitsFile));
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, values.Length * 4);
        return values;
    }

    /// <summary>Relative RMS error of one position: RMS(actual - expected) / std(expected).</summary>
    public static double RelativeRms(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        double mean = 0;
        foreach (float v in expected) mean += v;
        mean /= expected.Length;
        double var = 0, diff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            var += (expected[i] - mean) * (expected[i] - mean);
            diff += (actual[i] - (double)expected[i]) * (actual[i] - (double)expected[i]);
        }
        return Math.Sqrt(diff / expected.Length) / Math.Sqrt(var / expected.Length);
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
