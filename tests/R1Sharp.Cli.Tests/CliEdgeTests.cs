using System.Net;
using System.Net.Sockets;
using R1Sharp.Cli.Commands;
using R1Sharp.Gguf;
using R1Sharp.TestSupport;

namespace R1Sharp.Cli.Tests;

/// <summary>What a user sees at the edges of the CLI (issue 13 items 8 and 9): one clean line per problem, in words.</summary>
public class CliEdgeTests
{
    private static readonly string Model = Fixtures.Path("golden", "models", "tiny-qwen2-s1-q8_0.gguf");

    [Theory]
    [InlineData("bench", "-m", "MODEL")]
    [InlineData("run", "-m", "MODEL", "-p", "hi")]
    [InlineData("chat", "-m", "MODEL")]
    [InlineData("eval", "-m", "MODEL", "--data", "x.jsonl")]
    [InlineData("grad", "--model", "MODEL", "--data", "x.jsonl", "--out", "g.gguf")]
    public void ThreadsAreCappedEverywhere(params string[] args)
    {
        // -t 100000 ran (at 0.2 tokens/s); every command with threads refuses it before loading anything
        var r = CliProcess.Run(null, [.. args.Select(a => a == "MODEL" ? Model : a), "-t", "100000"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"-t/--threads must be 1 to {CliOptions.MaxThreads}", r.Stderr);
        Assert.DoesNotContain("Description:", r.Stdout + r.Stderr);   // not the whole help text
        Assert.Contains("-t/--threads expects a whole number, not 'many'", CliProcess.Run(null, "bench", "-t", "many").Stderr);
    }

    [Fact]
    public void ParseErrorsAreInWordsNotTypeNames()
    {
        var r = CliProcess.Run(null, "run", "-p", "hi", "--temp", "warm");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["r1 run: 'warm' is not a valid value for --temp: expected a number", "('r1 run --help' lists the options)"], r.ErrorLines);
        Assert.Equal("'x' is not a valid value for --stop: expected one or more values (text)",
            Program.Humanize("Cannot parse argument 'x' for option '--stop' as expected type 'System.Collections.Generic.List`1[System.String]'."));
        Assert.Equal("'x' is not a valid value for -n: expected a whole number",
            Program.Humanize("Cannot parse argument 'x' for option '-n' as expected type 'System.Nullable`1[System.Int32]'."));
        var d = CliProcess.Run("[\"a\"]", "detokenize", "-m", Model);
        Assert.Equal(["r1: stdin is not a JSON array of token ids such as [1, 2, 3] (at $[0])"], d.ErrorLines);
    }

    [Fact]
    public void ASecondServerOnABusyPortIsOneCleanLine()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        int port = ((IPEndPoint)busy.LocalEndpoint).Port;
        var r = CliProcess.Run(null, "serve", "-m", Model, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);   // was: the host's "fail: ... Hosting failed to start" line with a stack trace
        Assert.Equal([$"r1 serve: port {port} on 127.0.0.1 is already in use (another r1 serve?): stop it or choose another --port"], r.ErrorLines);
    }

    [Fact]
    public void InspectUsesReadableUnits()
    {
        var r = CliProcess.Run(null, "inspect", Model);
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain(" 0 MiB", r.Stdout);
        Assert.DoesNotContain("(0.00 B)", r.Stdout);
        Assert.Matches(@"parameters: [\d,]+ \(\d+\.\d+ [KM]\)", r.Stdout);
    }

    [Theory]
    [InlineData(0, "0 bytes")]
    [InlineData(512, "512 bytes")]
    [InlineData(1536, "1.50 KiB")]
    [InlineData(1_317_376, "1.26 MiB")]        // the bundled model's weights
    [InlineData(6_291_456, "6.00 MiB")]
    [InlineData(402_653_184, "384.0 MiB")]
    [InlineData(14_073_748_835.0, "13.1 GiB")]
    public void BytesInBinaryUnits(double bytes, string expected) => Assert.Equal(expected, HumanUnits.Bytes(bytes));

    [Theory]
    [InlineData(999, "999")]
    [InlineData(657_024, "657.0 K")]           // was "657,024 (0.00 B)"
    [InlineData(1_956_752, "1.96 M")]
    [InlineData(7_615_616_512, "7.62 B")]
    [InlineData(671_026_419_200, "671.0 B")]
    public void CountsInDecimalUnits(double n, string expected) => Assert.Equal(expected, HumanUnits.Count(n));

    [Fact]
    public void JsonKeepsTextAsItIs()
    {
        // was "12 \u002B 7"
        Assert.Equal("\"12 + 7 < 20 & é\"", CliJson.Serialize("12 + 7 < 20 & é"));
        var tok = CliProcess.Run("12 + 7", "tokenize", "-m", Model);
        var back = CliProcess.Run(tok.Stdout, "detokenize", "-m", Model, "--jsonl");
        Assert.Equal("\"12 + 7\"\n", back.Stdout);
    }

    [Theory]
    [InlineData("{{ 'a' * 1000000000 }}", "1,000,000,000 characters exceeds the limit")]
    [InlineData("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "loop iterations")]
    public void AHostileTemplateIsOneLineInRender(string template, string expected)
    {
        // was 58 s and 8.8 GB, and a hang
        string path = Path.Combine(Path.GetTempPath(), $"r1-cli-template-{Guid.NewGuid():N}.gguf");
        try
        {
            using (var src = GgufFile.Open(Model))
                new GgufWriter().CopyMetadata(src, k => k != "tokenizer.chat_template").Set("tokenizer.chat_template", template).Write(path);
            var r = CliProcess.Run("[{\"role\":\"user\",\"content\":\"hi\"}]", "render", "-m", path);
            Assert.Equal(1, r.ExitCode);
            Assert.Single(r.ErrorLines);
            Assert.Contains(expected, r.Stderr);
        }
        finally { File.Delete(path); }
    }
}
