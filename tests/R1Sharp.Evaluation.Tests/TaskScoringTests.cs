using R1Sharp.Evaluation;

namespace R1Sharp.Evaluation.Tests;

public class TaskScoringTests
{
    private const string CountdownRow =
        """{"messages":[{"role":"user","content":"Using the numbers 3, 7, 25, make 46. Use each number exactly once with + - * /."},{"role":"assistant","content":"<think>\n...\n</think>\n\nThe answer is (3 * 7) + 25."}],"answer":"(3 * 7) + 25","task":"countdown3","numbers":[3,7,25],"target":46}""";

    [Theory]
    [InlineData("<think>\nMake 46 ...\n</think>\n\nThe answer is (3 * 7) + 25.", "(3 * 7) + 25")]
    [InlineData("<think>\nthe answer is 3\n</think>\n\nThe answer is 25 + 3 * 7.\nDone.", "25 + 3 * 7")]   // the line after the phrase
    [InlineData("The answer is **25 + 21**.", "25 + 21")]
    [InlineData("So \\boxed{(25 - 3) \\times 7}", "(25 - 3) \\times 7")]
    [InlineData("The answer is $3 \\cdot 7 + 25$.", "3 \\cdot 7 + 25")]
    [InlineData("<think>\nThe answer is 3 * 7 + 25.\n</think>\n\nI could not find it.", null)]   // only the answer section counts
    public void ExtractsExpressions(string completion, string? expected) =>
        Assert.Equal(expected, AnswerExtractor.ExtractExpression(completion));

    [Fact]
    public void CountdownRowsCarryTheirPuzzleAndAreCheckedByExpression()
    {
        var item = EvalDataset.Parse(CountdownRow, 4);
        Assert.Equal("countdown3", item.Task);
        Assert.Equal([3, 7, 25], item.Countdown!.Numbers);
        Assert.Equal(46, item.Countdown.Target);
        Assert.Equal("(3 * 7) + 25", item.Gold);

        Assert.True(AnswerVerifier.IsCorrectCompletion(item, "<think>\nx\n</think>\n\nThe answer is 25 + 7 * 3."));  // another valid answer
        Assert.False(AnswerVerifier.IsCorrectCompletion(item, "<think>\nx\n</think>\n\nThe answer is 46."));         // the number alone
        Assert.False(AnswerVerifier.IsCorrectCompletion(item, "<think>\nx\n</think>\n\nThe answer is 7 * 7 - 3."));  // 46 with the wrong numbers
        Assert.False(AnswerVerifier.IsCorrect(item, null));
    }

    [Fact]
    public void CountdownPuzzleFallsBackToTheQuestion()
    {
        // No task, numbers or target: recognized by its wording, gold read from the assistant turn.
        var item = EvalDataset.Parse("""{"messages":[{"role":"user","content":"Using the numbers 2, 5, 9, make 28. Use each number exactly once with + - * /."},{"role":"assistant","content":"<think>\n</think>\n\nThe answer is (9 + 5) * 2."}]}""", 1);
        Assert.Equal("countdown", item.Task);
        Assert.Equal([2, 5, 9], item.Countdown!.Numbers);
        Assert.Equal("(9 + 5) * 2", item.Gold);
        Assert.True(AnswerVerifier.IsCorrect(item, "2 * (5 + 9)"));
        var bad = Assert.Throws<FormatException>(() => EvalDataset.Parse("""{"prompt":"make something","answer":"1","task":"countdown3"}""", 9));
        Assert.StartsWith("line 9:", bad.Message);
    }

    [Fact]
    public void ArithmeticRowsKeepExactAnswers()
    {
        var item = EvalDataset.Parse("""{"messages":[{"role":"user","content":"What is 47 * 86?"}],"answer":"4042","task":"mul"}""", 2);
        Assert.Equal("mul", item.Task);
        Assert.Null(item.Countdown);
        Assert.True(AnswerVerifier.IsCorrectCompletion(item, "<think>\n47 * 86 = 4042\n</think>\n\nThe answer is 4042."));
        Assert.False(AnswerVerifier.IsCorrectCompletion(item, "<think>\n47 * 86 = 4042\n</think>\n\nThe answer is 4032."));
    }

    [Fact]
    public void CountdownMajorityVoteGroupsAnswersByWhatTheyMake()
    {
        var item = EvalDataset.Parse(CountdownRow, 1);
        // Three different correct expressions agree (all make 46 from the right numbers) and outvote a repeated wrong one.
        string?[] answers = ["(25 - 3) * 7", "3 * 7 + 25", "(25 - 3) * 7", "25 + 7 * 3", null, "7 * 3 + 25"];
        string? vote = PassAtK.MajorityVote(answers, a => AnswerVerifier.VoteKey(item, a));
        Assert.True(AnswerVerifier.IsCorrect(item, vote));
        // Without task-aware keys the texts differ and the wrong answer (seen twice) would win.
        Assert.Equal("(25 - 3) * 7", PassAtK.MajorityVote(answers, a => a));
    }

    [Fact]
    public void ReportsAreSplitByTask()
    {
        var items = new[]
        {
            EvalDataset.Parse(CountdownRow, 1),
            EvalDataset.Parse("""{"messages":[{"role":"user","content":"What is 2 + 2?"}],"answer":"4","task":"add"}""", 2),
            EvalDataset.Parse("""{"messages":[{"role":"user","content":"What is 3 + 3?"}],"answer":"6","task":"add"}""", 3),
        };
        var answers = new Dictionary<string, string[]>
        {
            [items[0].Question] = ["3 * 7 + 25", "3 + 7 + 25"],
            [items[1].Question] = ["4", "4"],
            [items[2].Question] = ["5", "6"],
        };
        var report = EvalRunner.Run(items, new FixedSource(answers), new EvalOptions { K = 2 });
        var byTask = EvalRunner.SummarizeByTask(report);
        Assert.Equal(["countdown3", "add"], byTask.Select(t => t.Task));
        Assert.Equal(0.5, byTask[0].Report.Pass1, 12);
        Assert.Equal((1.0 + 0.5) / 2, byTask[1].Report.Pass1, 12);
        Assert.Equal(2, byTask[1].Report.Problems);
        Assert.Equal((0.5 + 1.0 + 0.5) / 3, report.Pass1, 12);
    }

    private sealed class FixedSource(Dictionary<string, string[]> answers) : ICompletionSource
    {
        public IReadOnlyList<Completion> Complete(string prompt, int samples, CancellationToken cancellationToken) =>
            [.. answers[prompt].Take(samples).Select(a => new Completion("work", $"The answer is {a}.", 3, 4))];
    }
}
