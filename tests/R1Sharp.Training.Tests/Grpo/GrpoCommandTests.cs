using System.Diagnostics;

namespace R1Sharp.Training.Tests.Grpo;

/// <summary>`r1 train grpo`'s argument errors: one line on stderr, exit code 1, nothing written.</summary>
public class GrpoCommandTests
{
    private static (int Code, string Stderr) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(TestData.CliDll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        _ = stdout.Result;
        return (p.ExitCode, stderr.Trim());
    }

    [Theory]
    [InlineData("--data|d.jsonl|--out|OUT", "r1 train grpo: --policy is required (a GGUF model or an SFT run directory)")]
    [InlineData("--policy|POLICY|--data|d.jsonl|--out|OUT|--reward-command|judge", "r1 train grpo: --reward-command 'judge': expected NAME=COMMAND")]
    [InlineData("--policy|POLICY|--data|d.jsonl|--out|OUT|--loss-type|ppo", "r1 train grpo: unknown loss type 'ppo' (expected grpo, bnpo, dr_grpo or dapo)")]
    [InlineData("--resume|OUT|--steps|5", "r1 train grpo: --resume continues with the run's saved settings; --steps cannot be given with it")]
    [InlineData("--policy|POLICY|--data|missing.jsonl|--out|OUT", "r1 train grpo: data file not found:")]
    public void ArgumentErrorsAreOneLine(string args, string expected)
    {
        string dir = TestData.TempDir("grpo-cli");
        string outDir = Path.Combine(dir, "run");
        File.WriteAllText(Path.Combine(dir, "d.jsonl"), "{\"prompt\":\"What is 1 + 1?\",\"answer\":\"2\"}\n");
        var argv = new List<string> { "train", "grpo" };
        argv.AddRange(args.Split('|').Select(a => a switch
        {
            "POLICY" => TestData.TinyQwen,
            "OUT" => outDir,
            "d.jsonl" or "missing.jsonl" => Path.Combine(dir, a),
            _ => a,
        }));
        var (code, stderr) = Run([.. argv]);
        Assert.Equal(1, code);
        Assert.StartsWith(expected, stderr);
        Assert.DoesNotContain('\n', stderr);
        Assert.False(Directory.Exists(outDir), "a failed start wrote the run directory");
        Directory.Delete(dir, true);
    }
}
