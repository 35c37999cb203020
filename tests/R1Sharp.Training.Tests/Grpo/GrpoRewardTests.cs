using System.Text.Json;
using R1Sharp.Training.Grpo;
using R1Sharp.Training.Grpo.Rewards;

namespace R1Sharp.Training.Tests.Grpo;

/// <summary>GRPO's rewards against hand-computed scores, and the external-command protocol with small shell scripts.</summary>
public class GrpoRewardTests
{
    private static GrpoPrompt Row(string json, int line = 1) => GrpoPrompts.Parse(json, line, answerRequired: false);

    private static readonly GrpoPrompt Add = Row("""{"messages":[{"role":"user","content":"What is 12 + 28?"},{"role":"assistant","content":"<think>\n12 + 28 = 40\n</think>\n\nThe answer is 40."}],"answer":"40","task":"add"}""");
    private static readonly GrpoPrompt Countdown = Row("""{"prompt":"Using the numbers 3, 7, 25, make 46. Use each number exactly once with + - * /.","answer":"25 + 3 * 7","task":"countdown3","numbers":[3,7,25],"target":46}""", 2);

    private static RewardSample S(GrpoPrompt p, string completion, int tokens = 10, bool truncated = false) => new(p, completion, tokens, truncated);

    private static double[] Score(IRewardFunction f, params RewardSample[] samples)
    {
        var scores = new double[samples.Length];
        f.Score(samples, scores);
        return scores;
    }

    [Fact]
    public void AccuracyUsesTheEvaluationsAnswerCheck()
    {
        var f = new AccuracyReward();
        Assert.Equal([1, 0, 1, 1, 0], Score(f,
            S(Add, "12 + 28 = 40\n</think>\n\nThe answer is 40."),
            S(Add, "12 + 28 = 41\n</think>\n\nThe answer is 41."),
            S(Add, "sum\n</think>\n\nSo \\boxed{40}."),
            S(Add, "The answer is 7?\n</think>\n\nThe answer is 40."),   // the answer after the thought counts
            S(Add, "The answer is 40.\n</think>\n\nThe answer is 39.")));
        Assert.Equal([1, 1, 0, 0, 0], Score(f,
            S(Countdown, "3 * 7 = 21, 25 + 21 = 46\n</think>\n\nThe answer is 25 + 3 * 7."),
            S(Countdown, "x\n</think>\n\nThe answer is (7 * 3) + 25."),
            S(Countdown, "x\n</think>\n\nThe answer is 25 + 21."),          // 21 is not a given number
            S(Countdown, "x\n</think>\n\nThe answer is 25 * 3 - 7."),       // 68, not 46
            S(Countdown, "x\n</think>\n\nThe answer is 46.")));
    }

    [Fact]
    public void AccuracyNeedsAnAnswer()
    {
        var noAnswer = Row("""{"prompt":"Tell me a story."}""", 7);
        Assert.Null(noAnswer.Problem);
        var e = Assert.Throws<InvalidOperationException>(() => Score(new AccuracyReward(), S(noAnswer, "x")));
        Assert.Contains("line 7", e.Message);
        var load = Assert.Throws<InvalidDataException>(() => GrpoPrompts.Parse("""{"prompt":"Tell me a story."}""", 3, answerRequired: true));
        Assert.Contains(":3", load.Message);
    }

    [Theory]
    [InlineData("reasoning\n</think>\n\nThe answer is 40.", 1)]
    [InlineData("reasoning\n</think>\n\nSo we get\n\\boxed{40}\n", 1)]
    [InlineData("reasoning\n</think>\n\nThe answer is 40.\nAnything else?", 0)]   // the answer line must be last
    [InlineData("reasoning\n</think>\n\nThe answer is .", 0)]                      // nothing stated
    [InlineData("reasoning, never closed. The answer is 40.", 0)]
    [InlineData("</think>\n\nThe answer is 40.", 0)]                                // no reasoning at all
    [InlineData("a</think>b</think>\n\nThe answer is 40.", 0)]                     // closed twice
    [InlineData("a\n<think>b</think>\n\nThe answer is 40.", 0)]                     // a second thought opened
    public void FormatWantsAClosedThoughtThenAnAnswerLine(string completion, double expected) =>
        Assert.Equal(expected, Score(new FormatReward(), S(Add, completion))[0]);

    [Fact]
    public void OverlongIsDaposSoftPenalty()
    {
        // L_max 100, L_cache 20: free up to 80 tokens, then linear down to -1 at 100.
        var f = new OverlongReward(100, 20);
        Assert.Equal([0, 0, -0.25, -0.5, -1, -1], Score(f, S(Add, "", 10), S(Add, "", 80), S(Add, "", 85), S(Add, "", 90), S(Add, "", 100, true), S(Add, "", 120)));
        Assert.Throws<ArgumentException>(() => new OverlongReward(100, 101));
    }

    [Fact]
    public void WeightedSumAndPerFunctionScores()
    {
        using var set = RewardSet.Create([RewardSpec.Parse("accuracy:1"), RewardSpec.Parse("format:0.25"), RewardSpec.Parse("overlong:0.5")],
                                         new Dictionary<string, string>(), maxCompletionLength: 20, overlongBuffer: 10);
        var (per, total) = set.Score([
            S(Add, "r\n</think>\n\nThe answer is 40.", tokens: 5),    // 1 + 0.25 + 0
            S(Add, "r\n</think>\n\nThe answer is 41.", tokens: 15),   // 0 + 0.25 + 0.5 * -0.5
            S(Add, "r and on", tokens: 20, truncated: true),           // last number: none; format 0; overlong -1
        ]);
        Assert.Equal([1, 0, 0], per[0]);
        Assert.Equal([1, 1, 0], per[1]);
        Assert.Equal([0, -0.5, -1], per[2]);
        Assert.Equal([1.25, 0.0, -0.5], total);
        Assert.True(set.NeedsAnswers);
    }

    [Fact]
    public void SpecsAndNamesAreChecked()
    {
        Assert.Equal(new RewardSpec("accuracy", 1), RewardSpec.Parse("accuracy"));
        Assert.Equal(new RewardSpec("format", 0.2), RewardSpec.Parse("format:0.2"));
        Assert.Equal(new RewardSpec("len", -1.5), RewardSpec.Parse("len:-1.5"));
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => RewardSpec.Parse("format:much")).Message);
        var none = new Dictionary<string, string>();
        Assert.Contains("unknown reward 'speed'", Assert.Throws<ArgumentException>(() => RewardSet.Create([new RewardSpec("speed", 1)], none, 10, 2)).Message);
        Assert.Contains("given twice", Assert.Throws<ArgumentException>(() => RewardSet.Create([new RewardSpec("format", 1), new RewardSpec("format", 2)], none, 10, 2)).Message);
        Assert.Contains("built-in", Assert.Throws<ArgumentException>(() => RewardSet.Create([], new Dictionary<string, string> { ["format"] = "cat" }, 10, 2)).Message);
    }

    [Fact]
    public void CommandRewardReadsJsonLinesAndWritesScores()
    {
        // A long-lived process: it numbers the lines it has read over both batches, and adds 0.5 for arithmetic rows.
        const string Script = """n=0; while IFS= read -r line; do n=$((n+1)); case "$line" in *'"task":"add"'*) echo "$n.5";; *) echo "$n";; esac; done""";
        using var set = RewardSet.Create([], new Dictionary<string, string> { ["script"] = Script }, 100, 25);
        var (per, total) = set.Score([S(Add, "a"), S(Countdown, "b"), S(Add, "c")]);
        Assert.Equal([1.5, 2, 3.5], per[0]);
        Assert.Equal([1.5, 2, 3.5], total);
        (per, _) = set.Score([S(Countdown, "d"), S(Add, "e")]);
        Assert.Equal([4, 5.5], per[0]);
    }

    [Fact]
    public void CommandRewardLineCarriesTheSampleAndItsRow()
    {
        string line = CommandReward.ToJsonLine(S(Countdown, "x\n</think>\n\nThe answer is \"25 + 3 * 7\".", tokens: 12, truncated: true));
        Assert.DoesNotContain('\n', line);
        using var d = JsonDocument.Parse(line);
        var e = d.RootElement;
        Assert.Equal("Using the numbers 3, 7, 25, make 46. Use each number exactly once with + - * /.", e.GetProperty("prompt").GetString());
        Assert.Equal("x\n</think>\n\nThe answer is \"25 + 3 * 7\".", e.GetProperty("completion").GetString());
        Assert.Equal("25 + 3 * 7", e.GetProperty("answer").GetString());
        Assert.Equal("countdown3", e.GetProperty("task").GetString());
        Assert.Equal(12, e.GetProperty("completion_tokens").GetInt32());
        Assert.True(e.GetProperty("truncated").GetBoolean());
        Assert.Equal(46, e.GetProperty("row").GetProperty("target").GetInt32());
        using var noAnswer = JsonDocument.Parse(CommandReward.ToJsonLine(S(Row("""{"prompt":"hi"}"""), "yo")));
        Assert.Equal(JsonValueKind.Null, noAnswer.RootElement.GetProperty("answer").ValueKind);
    }

    [Theory]
    [InlineData("read line; echo oops >&2; exit 3", "exited after 0 of 2 scores (exit code 3); its stderr: oops")]
    [InlineData("read line; echo 0.5", "exited after 1 of 2 scores (exit code 0)")]
    [InlineData("while read line; do echo 'score: high'; done", "wrote 'score: high' for completion 1; expected one finite number per line")]
    [InlineData("while read line; do echo NaN; done", "wrote 'NaN' for completion 1")]
    public void CommandRewardFailuresAreOneLineErrors(string script, string expected)
    {
        using var f = new CommandReward("judge", script);
        var e = Assert.Throws<InvalidOperationException>(() => Score(f, S(Add, "a"), S(Add, "b")));
        Assert.StartsWith("reward 'judge' (", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void SilentCommandTimesOut()
    {
        using var f = new CommandReward("slow", "sleep 30", TimeSpan.FromMilliseconds(300));
        var e = Assert.Throws<InvalidOperationException>(() => Score(f, S(Add, "a")));
        Assert.Contains("wrote no score for completion 1 of 1 within", e.Message);
    }
}
