namespace R1Sharp.Fuzz.Tests;

/// <summary>Thousands of seeded mutation cases per target in a few seconds: no crash (an exception other than the
/// target's clean one-line errors, or a failed property), no hang, no unbounded memory. bench/fuzz runs the same targets
/// for minutes with fresh seeds; what it finds becomes a regression test next to the code it concerns.</summary>
public class SeededFuzzTests
{
    private const int Seed = 20260522;

    public static TheoryData<string, int> Targets() => new()
    {
        { "gguf", 2000 },
        { "model", 600 },
        { "vocab", 300 },
        { "text", 500 },
        { "jinja", 2000 },
    };

    private static FuzzTarget Create(string name) => name switch
    {
        "gguf" => new GgufReaderTarget(),
        "model" => new ModelLoaderTarget(),
        "vocab" => new VocabTarget(),
        "text" => new TokenizerTextTarget("tiny", "deepseek-r1-qwen"),
        _ => new JinjaTarget(),
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void SeededCasesFindNothing(string name, int cases)
    {
        var target = Create(name);
        var runner = new FuzzRunner(Seed, caseTimeout: TimeSpan.FromSeconds(60));
        for (long i = 0; i < cases; i++) runner.RunCase(target, i);
        var stats = runner.Stats.Single();
        Assert.True(runner.Findings.Count == 0, $"{runner.Findings.Count} findings in {cases} cases:\n" + string.Join("\n", runner.Findings.Take(5)));
        Assert.Equal(cases, stats.Cases);
        // the mutations must reach past the first checks: some inputs load and run, some are refused
        if (name is "gguf" or "model" or "vocab") Assert.True(stats.Clean > cases / 20 && stats.Refused > cases / 20, $"clean {stats.Clean}, refused {stats.Refused}");
    }

    [Fact]
    public void CasesReplayExactly()
    {
        var target = new JinjaTarget();
        Assert.Equal(FuzzRunner.Replay(target, 7, 123).Text, FuzzRunner.Replay(target, 7, 123).Text);
        Assert.NotEqual(FuzzRunner.Replay(target, 7, 123).Text, FuzzRunner.Replay(target, 7, 124).Text);
        var gguf = new GgufReaderTarget();
        Assert.Equal(FuzzRunner.Replay(gguf, 7, 5).Bytes, FuzzRunner.Replay(gguf, 7, 5).Bytes);
    }
}
