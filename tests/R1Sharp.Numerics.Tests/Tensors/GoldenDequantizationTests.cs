using R1Sharp.Gguf;
using R1Sharp.Numerics.Tensors;
using R1Sharp.TestSupport;
using Xunit.Abstractions;

namespace R1Sharp.Numerics.Tests.Tensors;

/// <summary>
/// The golden tiny models hold the SAME random weights in several types (llama.cpp's converter and llama-quantize made
/// them from one f32 source): every dequantized tensor must match the f32 tensor within its type's quantization error,
/// and for the types whose ggml quantizer is deterministic without an importance matrix (F16, BF16, Q8_0, Q4_0) our
/// Quantizer must reproduce llama.cpp's bytes exactly.
/// </summary>
public class GoldenDequantizationTests(ITestOutputHelper output)
{
    private static string Model(string name) => Fixtures.Path("golden", "models", name + ".gguf");

    // Relative RMS error bound per type (RMS(deq - f32) / RMS(f32)); a wrong layout gives ~1 or more.
    public static TheoryData<string, GgmlType, double> Files => new()
    {
        { "tiny-qwen2-s1-f16", GgmlType.F16, 3e-4 },
        { "tiny-qwen2-s1-bf16", GgmlType.BF16, 2.5e-3 },
        { "tiny-qwen2-s1-q8_0", GgmlType.Q8_0, 7e-3 },
        { "tiny-qwen2-s1-q6_k", GgmlType.Q6_K, 2.2e-2 },
        { "tiny-qwen2-s1-q4_k_m", GgmlType.Q4_K, 8.5e-2 },
        { "tiny-qwen2-s1-q4_0", GgmlType.Q4_0, 0.1 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void DequantizedTensorsMatchTheF32Model(string name, GgmlType mainType, double bound)
    {
        using var f32 = GgufFile.Open(Model("tiny-qwen2-s1-f32"));
        using var q = GgufFile.Open(Model(name));
        bool sawMain = false;
        foreach (var t in q.Tensors)
        {
            if (t.Type == GgmlType.F32) continue;
            var reference = WeightMatrix.FromGguf(f32, f32.GetTensor(t.Name)).ToFloat32();
            var got = WeightMatrix.FromGguf(q, t).ToFloat32();
            double err = RelativeRms(got, reference);
            output.WriteLine($"{name} {t}: relative RMS error {err:E3}");
            Assert.True(err < Bound(t.Type, bound), $"{t}: relative RMS error {err:E3}");
            Assert.True(err > 0 || t.Type is GgmlType.F16 or GgmlType.BF16, $"{t}: suspiciously exact");
            sawMain |= t.Type == mainType;
        }
        Assert.True(sawMain, $"{name} has no {mainType} tensor");
    }

    private static double Bound(GgmlType type, double fileBound) => type switch
    {
        GgmlType.F16 => 3e-4, GgmlType.BF16 => 2.5e-3, GgmlType.Q8_0 => 7e-3, GgmlType.Q6_K => 2.2e-2,
        GgmlType.Q5_K or GgmlType.Q5_0 or GgmlType.Q5_1 => 5e-2, _ => fileBound,
    };

    [Theory]
    [InlineData("tiny-qwen2-s1-f16", GgmlType.F16)]
    [InlineData("tiny-qwen2-s1-bf16", GgmlType.BF16)]
    [InlineData("tiny-qwen2-s1-q8_0", GgmlType.Q8_0)]
    [InlineData("tiny-qwen2-s1-q4_0", GgmlType.Q4_0)]
    [InlineData("tiny-qwen2b-s1-q8_0", GgmlType.Q8_0)]
    public void QuantizerReproducesLlamaCppBytes(string name, GgmlType type)
    {
        string f32Name = name.StartsWith("tiny-qwen2b") ? "tiny-qwen2b-s1-f32" : "tiny-qwen2-s1-f32";
        using var f32 = GgufFile.Open(Model(f32Name));
        using var q = GgufFile.Open(Model(name));
        int compared = 0;
        foreach (var t in q.Tensors.Where(t => t.Type == type))
        {
            var source = WeightMatrix.FromGguf(f32, f32.GetTensor(t.Name)).ToFloat32();
            byte[] ours = Quantizer.Quantize(type, source, (int)t.RowLength);
            Assert.True(ours.AsSpan().SequenceEqual(q.GetTensorBytes(t)), $"{t}: bytes differ from llama.cpp's");
            compared++;
        }
        Assert.True(compared > 0);
    }

    internal static double RelativeRms(ReadOnlySpan<float> got, ReadOnlySpan<float> reference)
    {
        double num = 0, den = 0;
        for (int i = 0; i < got.Length; i++)
        {
            double d = got[i] - (double)reference[i];
            num += d * d;
            den += (double)reference[i] * reference[i];
        }
        return Math.Sqrt(num / Math.Max(den, 1e-300));
    }
}
