using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.TestSupport;
using R1Sharp.Training.Grpo;
using Xunit.Abstractions;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Tests;

/// <summary>
/// The GRPO loss and gradients against a float64 PyTorch reference following TRL's GRPOTrainer
/// (tests/fixtures/golden/grpo): two models, four cases (one per loss type; clip, clip-higher, KL, temperature 0.7,
/// the three reward scalings, a group of equal rewards). One case per model has every gradient; the others a
/// fixed subset of tensors (see tests/fixtures/README.md).
/// </summary>
public class GrpoGoldenTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string model in new[] { "tiny-qwen2-s1-f32", "tiny-llama-s1-f32" })
                foreach (string c in new[] { "grpo", "bnpo", "dr_grpo", "dapo" })
                    data.Add(model, c);
            return data;
        }
    }

    /// <summary>The case of each model whose gradient file holds every tensor.</summary>
    private static bool FullGradients(string model, string caseName) =>
        (model, caseName) is ("tiny-qwen2-s1-f32", "dapo") or ("tiny-llama-s1-f32", "dr_grpo");

    internal static string GrpoFixture(string file) => Fixtures.Path("golden", "grpo", file);

    internal static List<GrpoRow> Rows(JsonElement json) => json.GetProperty("rows").EnumerateArray().Select(r => new GrpoRow(
        r.GetProperty("prompt").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
        r.GetProperty("completion").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
        r.GetProperty("reward").GetDouble(), r.GetProperty("group").GetInt32())).ToList();

    internal static GrpoSettings Settings(JsonElement c) => new()
    {
        LossType = GrpoSettings.ParseLossType(c.GetProperty("loss_type").GetString()!),
        Beta = c.GetProperty("beta").GetDouble(), Epsilon = c.GetProperty("epsilon").GetDouble(),
        EpsilonHigh = c.GetProperty("epsilon_high").GetDouble(),
        ScaleRewards = GrpoSettings.ParseScaleRewards(c.GetProperty("scale_rewards").GetString()!),
        Temperature = c.GetProperty("temperature").GetDouble(), MaxCompletionLength = c.GetProperty("max_completion_length").GetInt32(),
    };

    internal static JsonElement Case(JsonElement json, string name) =>
        json.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static TrainableModel Load(string path, bool withGradients = true)
    {
        using var file = GgufFile.Open(path);
        return ModelGguf.Load(file, ComputePool.Shared, withGradients);
    }

    [Theory, MemberData(nameof(Cases))]
    public void AdvantagesMatchPyTorch(string model, string caseName)
    {
        var json = JsonDocument.Parse(File.ReadAllText(GrpoFixture(model + ".grpo.json"))).RootElement;
        var rows = Rows(json);
        var c = Case(json, caseName);
        var a = GrpoAdvantages.Compute(rows.Select(r => r.Reward).ToList(), rows.Select(r => r.Group).ToList(), Settings(c).ScaleRewards);
        var expected = c.GetProperty("advantages").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - expected[i]) <= 1e-9 * (1 + Math.Abs(expected[i])), $"advantage {i}: {a[i]} vs {expected[i]}");
        Assert.All(a.Where((_, i) => rows[i].Group == 2), x => Assert.Equal(0.0, x)); // the group of equal rewards
    }

    [Theory, MemberData(nameof(Cases))]
    public void LossAndGradientsMatchPyTorch(string model, string caseName)
    {
        var json = JsonDocument.Parse(File.ReadAllText(GrpoFixture(model + ".grpo.json"))).RootElement;
        var c = Case(json, caseName);
        var objective = new GrpoObjective(Settings(c));
        using var policy = Load(Fixtures.Path("golden", "models", model + ".gguf"));
        var result = objective.LossAndGradients(policy, Rows(json),
            () => Load(GrpoFixture(model + ".grpo-old.gguf"), withGradients: false), () => Load(GrpoFixture(model + ".grpo-ref.gguf"), withGradients: false));
        double expected = c.GetProperty("loss").GetDouble(), lossError = Math.Abs(result.Loss - expected) / Math.Abs(expected);
        Assert.True(lossError <= 1e-4, $"loss {result.Loss} vs {expected}");
        bool full = FullGradients(model, caseName);
        double gradError = GradientReference.AssertMatches(policy.Gradients, GrpoFixture(c.GetProperty("gradients_file").GetString()!), complete: full);
        output.WriteLine($"{model} {caseName}: loss {result.Loss:R} vs {expected:R} (relative error {lossError:E2}); " +
                         $"worst gradient error {gradError:E2} of the tensor's largest magnitude ({(full ? "all tensors" : "subset")}); " +
                         $"clip low {result.ClipLow:F3} high {result.ClipHigh:F3}, kl {result.Kl}, entropy {result.Entropy:F3}");
    }
}
