using R1Sharp.Evaluation;
using R1Sharp.TestSupport;

namespace R1Sharp.Evaluation.Tests;

public class EvalRunnerTests
{
    /// <summary>Returns fixed answers per prompt, each as "The answer is X." with X's length as its token count.</summary>
    private sealed class ScriptedSource(Dictionary<string, string?[]> answers) : ICompletionSource
    {
        public List<string> Prompts { get; } = [];

        public IReadOnlyList<Completion> Complete(string prompt, int samples, CancellationToken cancellationToken)
        {
            Prompts.Add(prompt);
            string question = prompt.Split('\n')[0];
            return answers[question].Take(samples)
                .Select(a => a is null
                    ? new Completion("still thinking about 99", "", 10, 0)          // never closed its reasoning
                    : new Completion("working", $"The answer is {a}.", 4, 2))
                .ToList();
        }
    }

    [Fact]
    public void ReportsPass1ConsKAndPassKAsComputedByHand()
    {
        var items = new List<EvalItem>
        {
            new(1, EvalSource.Chat, "q1", "10"),
            new(2, EvalSource.Chat, "q2", "20"),
            new(3, EvalSource.Gsm8k, "q3", "30"),
        };
        var source = new ScriptedSource(new()
        {
            ["q1"] = ["10", "10", "11", "10"],    // 3/4 correct, vote 10 (right)
            ["q2"] = ["21", "20", "21", null],    // 1/4 correct, vote 21 (wrong)
            ["q3"] = ["31", "32", "33", "34"],    // 0/4, vote 31 (wrong)
        });
        var progress = new List<(int, int)>();
        var report = EvalRunner.Run(items, source, new EvalOptions { K = 4 }, (d, t, _) => progress.Add((d, t)));

        Assert.Equal(3, report.Problems);
        Assert.Equal((0.75 + 0.25 + 0) / 3, report.Pass1, 12);
        Assert.Equal(1.0 / 3, report.ConsK, 12);
        Assert.Equal(2.0 / 3, report.PassK, 12);                       // pass@4 with n = 4: any correct sample
        Assert.Equal((11 * 4 + 10) / 12.0, report.AvgReasoningTokens, 12);
        Assert.Equal(11 * 2 / 12.0, report.AvgAnswerTokens, 12);
        Assert.Equal(1 / 12.0, report.UnfinishedRate, 12);
        Assert.Equal(0, report.NoAnswerRate);                          // the unfinished sample's last number (99) is read
        Assert.Equal([(1, 3), (2, 3), (3, 3)], progress);
        // GSM8K prompts get the R1 paper's boxed instruction; our own chat rows do not.
        Assert.Equal("q1", source.Prompts[0]);
        Assert.Equal("q3\n" + EvalItem.BoxedInstruction, source.Prompts[2]);
    }

    [Fact]
    public void LoadsGsm8kMathAndChatRows()
    {
        var gsm = EvalDataset.Load(Fixtures.Path("eval", "gsm8k_test_head5.jsonl"));
        Assert.Equal(["18", "3", "70000", "540", "20"], gsm.Select(i => i.Gold));
        Assert.All(gsm, i => Assert.Equal(EvalSource.Gsm8k, i.Source));
        Assert.StartsWith("Janet", gsm[0].Question);

        var math = EvalDataset.Load(Fixtures.Path("eval", "math500_test_head5.jsonl"), limit: 3);
        Assert.Equal(3, math.Count);
        Assert.Equal("\\frac{14}{3}", math[2].Gold);
        Assert.True(AnswerMatcher.IsMatch("(3, \\frac{\\pi}{2})", math[0].Gold));

        var chat = EvalDataset.Parse("""{"messages":[{"role":"user","content":"What is 2 + 2?"},{"role":"assistant","content":"<think>\n2 + 2 = 4\n</think>\n\nThe answer is 4."}]}""", 7);
        Assert.Equal(("What is 2 + 2?", "4", 7), (chat.Question, chat.Gold, chat.Line));
        var withAnswer = EvalDataset.Parse("""{"messages":[{"role":"user","content":"q"}],"answer":"-12"}""", 1);
        Assert.Equal("-12", withAnswer.Gold);
    }

    [Fact]
    public void BadRowsNameTheirLine()
    {
        var e = Assert.Throws<FormatException>(() => EvalDataset.Parse("{not json", 12));
        Assert.StartsWith("line 12:", e.Message);
        Assert.Throws<FormatException>(() => EvalDataset.Parse("""{"foo": 1}""", 3));
        Assert.Throws<FormatException>(() => EvalDataset.Parse("""{"messages":[{"role":"user","content":"q"}]}""", 3));
    }
}
