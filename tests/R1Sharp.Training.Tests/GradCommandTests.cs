using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.TestSupport;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Tests;

/// <summary>`r1 grad` as a user runs it: the GRPO golden case through the command line, and its one-line errors.</summary>
public class GradCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(TestData.CliDll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(3)), "r1 grad did not finish");
        return (p.ExitCode, stdout, stderr.Result);
    }

    private static string RowsFile(string dir, JsonElement json)
    {
        string path = Path.Combine(dir, "rows.jsonl");
        File.WriteAllLines(path, json.GetProperty("rows").EnumerateArray().Select(r => JsonSerializer.Serialize(r)));
        return path;
    }

    [Fact]
    public void GrpoGoldenCaseThroughTheCommandLine()
    {
        const string model = "tiny-llama-s1-f32";
        var json = JsonDocument.Parse(File.ReadAllText(GrpoGoldenTests.GrpoFixture(model + ".grpo.json"))).RootElement;
        var c = GrpoGoldenTests.Case(json, "dr_grpo");
        string dir = TestData.TempDir("grad-grpo"), output = Path.Combine(dir, "g.gguf");
        string F(string p) => c.GetProperty(p).GetRawText();
        var (code, stdout, stderr) = Run("grad", "--objective", "grpo", "--model", TestData.TinyLlama,
            "--old", GrpoGoldenTests.GrpoFixture(model + ".grpo-old.gguf"), "--ref", GrpoGoldenTests.GrpoFixture(model + ".grpo-ref.gguf"),
            "--data", RowsFile(dir, json), "--loss-type", c.GetProperty("loss_type").GetString()!, "--beta", F("beta"),
            "--epsilon", F("epsilon"), "--epsilon-high", F("epsilon_high"), "--scale-rewards", c.GetProperty("scale_rewards").GetString()!,
            "--temperature", F("temperature"), "--max-completion-length", F("max_completion_length"), "--out", output, "--threads", "2");
        Assert.True(code == 0, stderr);
        string last = stdout.TrimEnd().Split('\n')[^1];
        double loss = JsonDocument.Parse(last).RootElement.GetProperty("loss").GetDouble(), expected = c.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(loss - expected) <= 1e-4 * expected, $"loss {loss} vs {expected}");
        Assert.Contains("clip low", stderr);

        // G.gguf holds d loss / d tensor for every tensor of the model, under its names.
        using var mf = GgufFile.Open(TestData.TinyLlama);
        using var m = ModelGguf.Load(mf, ComputePool.Shared);
        using (var g = GgufFile.Open(output))
        {
            Assert.Equal(loss, g.GetFloat("r1.grad.loss")!.Value);
            ModelGguf.ReadInto(g, m.Gradients, prefix: "");
        }
        GradientReference.AssertMatches(m.Gradients, GrpoGoldenTests.GrpoFixture(c.GetProperty("gradients_file").GetString()!), complete: true);
    }

    [Fact]
    public void SftIsStillTheDefaultObjective()
    {
        string dir = TestData.TempDir("grad-sft"), output = Path.Combine(dir, "g.gguf"), data = Path.Combine(dir, "rows.jsonl");
        var json = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden", "train", "tiny-qwen2-s1-f32.train.json"))).RootElement;
        File.WriteAllLines(data, json.GetProperty("batch").EnumerateArray().Select(r => "{\"tokens\":" + JsonSerializer.Serialize(r) + "}"));
        var (code, stdout, stderr) = Run("grad", "--model", TestData.TinyQwen, "--data", data, "--out", output, "--threads", "2");
        Assert.True(code == 0, stderr);
        double loss = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]).RootElement.GetProperty("loss").GetDouble();
        double expected = json.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(loss - expected) <= 1e-4 * expected, $"loss {loss} vs {expected}");
    }

    [Fact]
    public void BadInputsEndInOneLineErrors()
    {
        string dir = TestData.TempDir("grad-errors"), output = Path.Combine(dir, "g.gguf"), data = Path.Combine(dir, "rows.jsonl");
        File.WriteAllLines(data, ["{\"prompt\":[1,2],\"completion\":[3,4],\"reward\":1,\"group\":0}", "", "{\"prompt\":[1,2],\"completion\":[3,4000],\"reward\":0,\"group\":0}"]);
        string[] common = ["grad", "--objective", "grpo", "--model", TestData.TinyQwen, "--data", data, "--out", output];
        foreach (var (extra, message) in new (string[], string)[]
        {
            ([], "rows.jsonl:3: token id 4000 is outside the vocabulary"),
            (["--loss-type", "ppo"], "unknown loss type 'ppo' (expected grpo, bnpo, dr_grpo or dapo)"),
            (["--beta", "0.04"], "--ref is required when --beta is not 0"),
        })
        {
            var (code, _, stderr) = Run([.. common, .. extra]);
            Assert.Equal(1, code);
            string line = Assert.Single(stderr.TrimEnd().Split('\n'));
            Assert.Contains(message, line);
        }
        var (c2, _, e2) = Run("grad", "--model", TestData.TinyQwen, "--data", data, "--out", output, "--beta", "0.1");
        Assert.Equal(1, c2);
        Assert.Contains("--beta is only for --objective grpo", e2);
        Assert.False(File.Exists(output));
    }
}
