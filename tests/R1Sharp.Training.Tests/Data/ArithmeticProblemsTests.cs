using System.Data;
using System.Text.Json;
using System.Text.RegularExpressions;
using R1Sharp.Training.Data;

namespace R1Sharp.Training.Tests.Data;

public class ArithmeticProblemsTests
{
    // "a + b = c", "a - b - c = d", "a × b + c = d", "a ÷ b = q": every equation written in the working.
    private static readonly Regex Equation = new(@"(?<lhs>-?\d+(?: [-+×] \d+)+) = (?<rhs>-?\d+)\b", RegexOptions.Compiled);
    private static readonly Regex DivisionStep = new(@"(?<a>\d+) ÷ (?<b>\d+) = (?<q>\d+)", RegexOptions.Compiled);

    private static long Eval(string lhs)
    {
        // Left to right with × before + and -, as written (DataTable.Compute is an independent evaluator).
        object v = new DataTable().Compute(lhs.Replace("×", "*"), null);
        return Convert.ToInt64(v);
    }

    private static long Truth(string key)
    {
        string[] f = key.Split(':');
        long a = long.Parse(f[1]), b = long.Parse(f[2]);
        return f[0] switch
        {
            "add" or "word0" or "word1" => a + b,
            "sub" or "word2" or "word3" => a - b,
            "mul" or "word4" => a * b,
            "div" or "word5" => a / b,
            "word6" => a + b - long.Parse(f[3]),
            _ => throw new InvalidOperationException(key),
        };
    }

    [Fact]
    public void AnswersAreCorrectAndEveryWrittenEquationHolds()
    {
        var gen = new ArithmeticProblemGenerator(seed: 7);
        int equations = 0;
        foreach (var p in gen.Generate(3000, distinct: false))
        {
            Assert.Equal(Truth(p.Key), p.Answer);
            foreach (Match m in Equation.Matches(p.Working))
            {
                if (m.Groups["lhs"].Value.Contains('÷')) continue;
                Assert.True(Eval(m.Groups["lhs"].Value) == long.Parse(m.Groups["rhs"].Value), $"{p.Key}: '{m.Value}' in\n{p.Working}");
                equations++;
            }
            foreach (Match m in DivisionStep.Matches(p.Working))
                Assert.Equal(long.Parse(m.Groups["a"].Value) / long.Parse(m.Groups["b"].Value), long.Parse(m.Groups["q"].Value));
            Assert.EndsWith($"\n</think>\n\nThe answer is {p.Answer}.", p.AssistantContent);
            Assert.StartsWith("<think>\n", p.AssistantContent);
        }
        Assert.True(equations > 10_000, $"only {equations} equations checked");
    }

    [Fact]
    public void ColumnAdditionMatchesHandWorking()
    {
        var lines = new List<string>();
        Assert.Equal(5110, ArithmeticWorking.Add(lines, 4721, 389));
        Assert.Equal(
        [
            "Add 4721 + 389 column by column from the ones.",
            "ones: 1 + 9 = 10, write 0, carry 1",
            "tens: 2 + 8 + 1 = 11, write 1, carry 1",
            "hundreds: 7 + 3 + 1 = 11, write 1, carry 1",
            "thousands: 4 + 0 + 1 = 5, write 5",
            "Result: 5110",
        ], lines);
    }

    [Fact]
    public void SubtractionBorrowsAndNegativeResults()
    {
        var lines = new List<string>();
        Assert.Equal(-4332, ArithmeticWorking.Subtract(lines, 389, 4721));
        Assert.Equal("389 is less than 4721, so compute 4721 - 389 and make it negative.", lines[0]);
        Assert.Equal("ones: 1 - 9 is negative, borrow: 11 - 9 = 2, write 2, borrow 1", lines[2]);
        Assert.Equal("tens: 2 - 8 - 1 is negative, borrow: 12 - 8 - 1 = 3, write 3, borrow 1", lines[3]);
        Assert.Equal("hundreds: 7 - 3 - 1 = 3, write 3", lines[4]);
        Assert.Equal("So 389 - 4721 = -4332.", lines[^1]);
    }

    [Fact]
    public void LongMultiplicationAndDivision()
    {
        var lines = new List<string>();
        Assert.Equal(9022, ArithmeticWorking.Multiply(lines, 347, 26));
        Assert.Contains("347 × 6 = 2082", lines);
        Assert.Contains("so 347 × 20 = 6940", lines);
        Assert.Contains("Add 2082 + 6940 column by column from the ones.", lines);

        lines.Clear();
        Assert.Equal((39, 0), ArithmeticWorking.Divide(lines, 156, 4));
        Assert.Equal(["Divide 156 ÷ 4 by long division.", "15 ÷ 4 = 3, 3 × 4 = 12, 15 - 12 = 3",
                      "bring down 6: 36 ÷ 4 = 9, 9 × 4 = 36, 36 - 36 = 0", "Result: 39"], lines);
        lines.Clear();
        Assert.Equal((2, 1), ArithmeticWorking.Divide(lines, 7, 3));
        lines.Clear();
        Assert.Equal((0, 3), ArithmeticWorking.Divide(lines, 3, 7));
    }

    [Fact]
    public void SameSeedSameProblemsDifferentSeedDifferent()
    {
        var a = new ArithmeticProblemGenerator(11).Generate(200, false).Select(p => p.AssistantContent + p.Question).ToList();
        var b = new ArithmeticProblemGenerator(11).Generate(200, false).Select(p => p.AssistantContent + p.Question).ToList();
        var c = new ArithmeticProblemGenerator(12).Generate(200, false).Select(p => p.AssistantContent + p.Question).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void TrainAndTestSplitsAreDisjointAndTestIsDistinct()
    {
        var train = new ArithmeticProblemGenerator(1, DataSplit.Train).Generate(20_000, false).Select(p => p.Key).ToHashSet();
        var test = new ArithmeticProblemGenerator(2, DataSplit.Test).Generate(2_000, true).Select(p => p.Key).ToList();
        Assert.Equal(2_000, test.Count);
        Assert.Equal(test.Count, test.Distinct().Count());
        Assert.DoesNotContain(test, train.Contains);
        // The same seed on the other split still never yields a train key.
        Assert.DoesNotContain(new ArithmeticProblemGenerator(1, DataSplit.Test).Generate(500, true), p => train.Contains(p.Key));
    }

    [Fact]
    public void KindWeightsAndDigitRangesAreRespected()
    {
        var options = new ArithmeticOptions
        {
            Weights = new Dictionary<ArithmeticKind, double> { [ArithmeticKind.Addition] = 1 },
            MinDigits = 3, MaxDigits = 3,
        };
        foreach (var p in new ArithmeticProblemGenerator(3, DataSplit.Train, options).Generate(300, false))
        {
            Assert.Equal(ArithmeticKind.Addition, p.Kind);
            string[] f = p.Key.Split(':');
            Assert.Equal(3, f[1].Length);
            Assert.Equal(3, f[2].Length);
        }
        Assert.Throws<ArgumentException>(() => new ArithmeticProblemGenerator(1, DataSplit.Train, options with { MinDigits = 0 }));
    }

    [Fact]
    public void SmallProblemSpaceYieldsFewerDistinctRows()
    {
        var options = new ArithmeticOptions
        {
            Weights = new Dictionary<ArithmeticKind, double> { [ArithmeticKind.Addition] = 1 },
            MinDigits = 1, MaxDigits = 1,
        };
        var rows = new ArithmeticProblemGenerator(3, DataSplit.Test, options).Generate(1000, true).ToList();
        Assert.InRange(rows.Count, 1, 99);   // 100 one-digit sums, about 10% of them in the test split
    }

    [Fact]
    public void JsonlRowsHaveTheChatLayout()
    {
        var p = new ArithmeticProblemGenerator(5).Next();
        using var doc = JsonDocument.Parse(ArithmeticProblemsJsonl.ToRow(p));
        var msgs = doc.RootElement.GetProperty("messages");
        Assert.Equal(2, msgs.GetArrayLength());
        Assert.Equal("user", msgs[0].GetProperty("role").GetString());
        Assert.Equal(p.Question, msgs[0].GetProperty("content").GetString());
        Assert.Equal("assistant", msgs[1].GetProperty("role").GetString());
        Assert.Equal(p.AssistantContent, msgs[1].GetProperty("content").GetString());
        Assert.Equal(p.Answer.ToString(), doc.RootElement.GetProperty("answer").GetString());

        using var pc = JsonDocument.Parse(ArithmeticProblemsJsonl.ToRow(p, ProblemRowFormat.PromptCompletion));
        Assert.Equal(p.AssistantContent, pc.RootElement.GetProperty("completion").GetString());
        var sw = new StringWriter();
        Assert.Equal(3, ArithmeticProblemsJsonl.Write(sw, new ArithmeticProblemGenerator(5).Generate(3, false)));
        Assert.Equal(3, sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void RenderedPromptsOwnTheOpenedThinkTag()
    {
        var p = new ArithmeticProblemGenerator(5).Next();
        using var doc = JsonDocument.Parse(ArithmeticProblemsJsonl.ToRow(p, ProblemRowFormat.PromptCompletion, q => $"<U>{q}<A><think>\n"));
        Assert.Equal($"<U>{p.Question}<A><think>\n", doc.RootElement.GetProperty("prompt").GetString());
        Assert.Equal(p.AssistantContent["<think>\n".Length..], doc.RootElement.GetProperty("completion").GetString());
        using var plain = JsonDocument.Parse(ArithmeticProblemsJsonl.ToRow(p, ProblemRowFormat.PromptCompletion, q => $"<U>{q}<A>"));
        Assert.Equal(p.AssistantContent, plain.RootElement.GetProperty("completion").GetString());
        Assert.Equal(p.Question + "\n" + p.AssistantContent + "\n", ArithmeticProblemsJsonl.ToRow(p, ProblemRowFormat.Plain));
    }
}
