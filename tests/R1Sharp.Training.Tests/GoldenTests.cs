using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.TestSupport;
using R1Sharp.Training.Data;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Tests;

/// <summary>Loss, gradients and ten AdamW steps against a float64 PyTorch reference (tests/fixtures/golden/train).</summary>
public class GoldenTests
{
    public static TheoryData<string> Models => new() { "tiny-qwen2-s1-f32", "tiny-llama-s1-f32" };

    private static (JsonElement Json, List<TrainingExample> Rows) Golden(string name)
    {
        var json = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden", "train", name + ".train.json"))).RootElement;
        var rows = json.GetProperty("batch").EnumerateArray()
            .Select(r => new TrainingExample(r.EnumerateArray().Select(x => x.GetInt32()).ToArray(), null)).ToList();
        return (json, rows);
    }

    [Theory, MemberData(nameof(Models))]
    public void LossAndGradientsMatchPyTorch(string name)
    {
        var (json, rows) = Golden(name);
        using var file = GgufFile.Open(Fixtures.Path("golden", "models", name + ".gguf"));
        using var model = ModelGguf.Load(file, ComputePool.Shared);
        double loss = model.LossAndGradients(rows);
        double expected = json.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(loss - expected) <= 1e-4 * expected, $"loss {loss} vs {expected}");

        GradientReference.AssertMatches(model.Gradients, Fixtures.Path("golden", "train", name + ".grads.gguf"), complete: true);
    }

    [Theory, MemberData(nameof(Models))]
    public void TenAdamWStepsMatchPyTorch(string name)
    {
        var (json, rows) = Golden(name);
        var settings = json.GetProperty("adamw");
        Assert.Equal(0.0, settings.GetProperty("weight_decay_1d").GetDouble());
        using var file = GgufFile.Open(Fixtures.Path("golden", "models", name + ".gguf"));
        using var model = ModelGguf.Load(file, ComputePool.Shared);
        using var opt = new AdamW(model.Parameters, new AdamWOptions
        {
            Beta1 = settings.GetProperty("beta1").GetSingle(), Beta2 = settings.GetProperty("beta2").GetSingle(),
            Eps = settings.GetProperty("eps").GetSingle(), WeightDecay = settings.GetProperty("weight_decay_2d").GetSingle(),
        }, ComputePool.Shared);
        double lr = settings.GetProperty("lr").GetDouble();
        var expected = json.GetProperty("adamw_losses").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        for (int step = 0; step < expected.Length; step++)
        {
            double loss = model.LossAndGradients(rows);
            Assert.True(Math.Abs(loss - expected[step]) <= 1e-3 * expected[step], $"step {step + 1}: loss {loss} vs {expected[step]}");
            opt.Update(model.Parameters, model.Gradients, lr);
        }
    }
}
