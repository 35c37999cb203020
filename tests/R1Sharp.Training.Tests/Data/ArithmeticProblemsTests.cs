using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using R1Sharp.Training.Data;

namespace R1Sharp.Training.Tests.Data;

public class ArithmeticProblemsTests
{
    // Every equation written in a working: "2+8+1=11", "4*6+4=28", "12-8-1=3", "4721 + 389 = 5110", "15/4=3" (long
    // division writes the whole-number quotient of one step).
    private static readonly Regex Equation = new(@"(?<![\d/])(?<lhs>\d+(?:\s?[-+*/]\s?\d+)+)\s?=\s?(?<rhs>\d+)\b", RegexOptions.Compiled);
    private static readonly Regex Column = new(@"^(?<place>[a-z ]+): .*, so (?<written>\d+)$", RegexOptions.Compiled);
    private static readonly Regex Header = new(@"^(?<a>\d+) (?<op>[-+*]) (?<b>\d+)$", RegexOptions.Compiled);

    /// <summary>Left to right with * and / before + and - (an independent evaluator); '/' is the whole-number quotient.</summary>
    private static long Eval(string lhs)
    {
        var parts = Regex.Matches(lhs.Replace(" ", ""), @"\d+|[-+*/]").Select(m => m.Value).ToList();
        var terms = new List<(char Sign, long Value)>();
        char sign = '+';
        long acc = long.Parse(parts[0], CultureInfo.InvariantCulture);
        for (int i = 1; i < parts.Count; i += 2)
        {
            long v = long.Parse(parts[i + 1], CultureInfo.InvariantCulture);
            switch (parts[i])
            {
                case "*": acc *= v; break;
                case "/": acc /= v; break;
                default: terms.Add((sign, acc)); sign = parts[i][0]; acc = v; break;
            }
        }
        terms.Add((sign, acc));
        return terms.Sum(t => t.Sign == '+' ? t.Value : -t.Value);
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

    /// <summary>The digits written after each column ("so 110") are the low digits of the true result of the block's
    /// header ("4721 + 389", "47 * 6", "4721 - 4689"); the last column writes the whole result (subtraction keeps
    /// leading zeros). Returns the number of columns checked.</summary>
    private static int CheckRunningDigits(string working)
    {
        int checkedColumns = 0;
        string[] lines = working.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var h = Header.Match(lines[i]);
            if (!h.Success) continue;
            long a = long.Parse(h.Groups["a"].Value), b = long.Parse(h.Groups["b"].Value);
            char op = h.Groups["op"].Value[0];
            if (op == '*' && b > 9) continue;                  // a multi-digit product's header: its blocks follow
            long result = op switch { '+' => a + b, '-' => a - b, _ => a * b };
            int columns = 0;
            while (i + 1 + columns < lines.Length && Column.Match(lines[i + 1 + columns]) is { Success: true }) columns++;
            Assert.True(columns > 0, $"no columns after '{lines[i]}' in\n{working}");
            for (int c = 0; c < columns; c++)
            {
                string written = Column.Match(lines[i + 1 + c]).Groups["written"].Value;
                string expected = c < columns - 1
                    ? (result % (long)Math.Pow(10, c + 1)).ToString(CultureInfo.InvariantCulture).PadLeft(c + 1, '0')
                    : op == '-' ? result.ToString(CultureInfo.InvariantCulture).PadLeft(columns, '0') : result.ToString(CultureInfo.InvariantCulture);
                Assert.True(expected == written, $"column {c} of '{lines[i]}' wrote {written}, expected {expected}, in\n{working}");
                checkedColumns++;
            }
        }
        return checkedColumns;
    }

    [Fact]
    public void AnswersAreCorrectAndEveryWrittenEquationAndDigitHolds()
    {
        var gen = new ArithmeticProblemGenerator(seed: 7);
        int equations = 0, columns = 0;
        foreach (var p in gen.Generate(3000, distinct: false))
        {
            Assert.Equal(Truth(p.Key).ToString(CultureInfo.InvariantCulture), p.Answer);
            foreach (Match m in Equation.Matches(p.Working))
            {
                Assert.True(Eval(m.Groups["lhs"].Value) == long.Parse(m.Groups["rhs"].Value), $"{p.Key}: '{m.Value}' in\n{p.Working}");
                equations++;
            }
            columns += CheckRunningDigits(p.Working);
            Assert.EndsWith($"\n</think>\n\nThe answer is {p.Answer}.", p.AssistantContent);
            Assert.StartsWith("<think>\n", p.AssistantContent);
        }
        Assert.True(equations > 12_000, $"only {equations} equations checked");
        Assert.True(columns > 10_000, $"only {columns} columns checked");
    }

    [Fact]
    public void ColumnAdditionMatchesHandWorking()
    {
        var lines = new List<string>();
        Assert.Equal(5110, ArithmeticWorking.Add(lines, 4721, 389));
        Assert.Equal(
        [
            "4721 + 389",
            "ones: 1+9=10, so 0",
            "tens: 2+8+1=11, so 10",
            "hundreds: 7+3+1=11, so 110",
            "thousands: 4+0+1=5, so 5110",
        ], lines);
        lines.Clear();
        Assert.Equal(10098, ArithmeticWorking.Add(lines, 9999, 99));
        Assert.Equal("thousands: 9+0+1=10, so 10098", lines[^1]);             // the last column writes its carry too
    }

    [Fact]
    public void SubtractionBorrowsAndKeepsLeadingZerosUntilTheResultLine()
    {
        var lines = new List<string>();
        Assert.Equal(32, ArithmeticWorking.Subtract(lines, 4721, 4689));
        Assert.Equal(
        [
            "4721 - 4689",
            "ones: 1-9 borrow, 11-9=2, so 2",
            "tens: 2-8-1 borrow, 12-8-1=3, so 32",
            "hundreds: 7-6-1=0, so 032",
            "thousands: 4-4=0, so 0032",
        ], lines);
        var p = new ArithmeticProblemGenerator(3, DataSplit.Train, new ArithmeticOptions
        {
            Weights = new Dictionary<ArithmeticKind, double> { [ArithmeticKind.Subtraction] = 1 },
        }).Next();
        Assert.Matches(@"^\d+ - \d+ = [1-9]\d*$|^\d+ - \d+ = 0$", p.Working.Split('\n')[^1]);
        Assert.Throws<ArgumentException>(() => ArithmeticWorking.Subtract([], 3, 4));
    }

    [Fact]
    public void MultiplicationByPartialProductsMatchesHandWorking()
    {
        var lines = new List<string>();
        Assert.Equal(4042, ArithmeticWorking.Multiply(lines, 47, 86));
        Assert.Equal(
        [
            "47 * 86",
            "47 * 6",
            "ones: 7*6=42, so 2",
            "tens: 4*6+4=28, so 282",
            "47 * 8",
            "ones: 7*8=56, so 6",
            "tens: 4*8+5=37, so 376",
            "47 * 80 = 3760",
            "282 + 3760",
            "ones: 2+0=2, so 2",
            "tens: 8+6=14, so 42",
            "hundreds: 2+7+1=10, so 042",
            "thousands: 0+3+1=4, so 4042",
        ], lines);
        lines.Clear();
        Assert.Equal(3760, ArithmeticWorking.Multiply(lines, 47, 80));
        Assert.Contains("47 * 0 = 0", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("0 + ", StringComparison.Ordinal));   // nothing to add to 0
    }

    [Fact]
    public void LongDivision()
    {
        var lines = new List<string>();
        Assert.Equal((39, 0), ArithmeticWorking.Divide(lines, 156, 4));
        Assert.Equal(["156 / 4", "15/4=3, 3*4=12, 15-12=3, so 3", "bring down 6: 36/4=9, 9*4=36, 36-36=0, so 39"], lines);
        lines.Clear();
        Assert.Equal((2, 1), ArithmeticWorking.Divide(lines, 7, 3));
        Assert.Equal("remainder 1", lines[^1]);
        Assert.Equal((0, 3), ArithmeticWorking.Divide([], 3, 7));
    }

    [Theory]
    [InlineData(ArithmeticKind.Addition, "add", "+")]
    [InlineData(ArithmeticKind.Subtraction, "sub", "-")]
    [InlineData(ArithmeticKind.Multiplication, "mul", "*")]
    public void QuestionsUseTheTaskWordingAndOperandRanges(ArithmeticKind kind, string task, string op)
    {
        var options = new ArithmeticOptions { Weights = new Dictionary<ArithmeticKind, double> { [kind] = 1 } };
        var question = new Regex(@$"^What is (?<a>\d+) {Regex.Escape(op)} (?<b>\d+)\?$");
        int swapped = 0;
        var digitsOfA = new HashSet<int>();
        foreach (var p in new ArithmeticProblemGenerator(5, DataSplit.Train, options).Generate(2000, false))
        {
            Assert.Equal(task, p.Task);
            var m = question.Match(p.Question);
            Assert.True(m.Success, p.Question);
            long a = long.Parse(m.Groups["a"].Value), b = long.Parse(m.Groups["b"].Value);
            if (kind == ArithmeticKind.Multiplication)
            {
                Assert.InRange(a, 10, 99);
                Assert.InRange(b, 10, 99);
                continue;
            }
            if (a < b) { swapped++; (a, b) = (b, a); }
            Assert.InRange(a, 10, 9999);                      // A up to 4 digits, B from 2 digits up to A
            Assert.InRange(b, 10, a);
            digitsOfA.Add(m.Groups["a"].Value.Length);
        }
        if (kind == ArithmeticKind.Subtraction) Assert.Equal(0, swapped);                   // never negative
        if (kind == ArithmeticKind.Addition) Assert.InRange(swapped, 200, 600);             // about one in five asks the smaller first
        if (kind != ArithmeticKind.Multiplication) Assert.Equal([2, 3, 4], digitsOfA.Order());
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
    public void KeysIgnoreTheOrderOfCommutativeOperands()
    {
        var options = new ArithmeticOptions { Weights = new Dictionary<ArithmeticKind, double> { [ArithmeticKind.Addition] = 1 } };
        foreach (var p in new ArithmeticProblemGenerator(4, DataSplit.Train, options).Generate(500, false))
        {
            var m = Regex.Match(p.Question, @"(\d+) \+ (\d+)");
            long a = long.Parse(m.Groups[1].Value), b = long.Parse(m.Groups[2].Value);
            Assert.Equal($"add:{Math.Max(a, b)}:{Math.Min(a, b)}", p.Key);
        }
    }

    [Fact]
    public void DigitRangesAreRespected()
    {
        var options = new ArithmeticOptions
        {
            Weights = new Dictionary<ArithmeticKind, double> { [ArithmeticKind.Subtraction] = 1 },
            MinDigits = 3, MaxDigits = 3,
        };
        foreach (var p in new ArithmeticProblemGenerator(3, DataSplit.Train, options).Generate(300, false))
        {
            string[] f = p.Key.Split(':');
            Assert.Equal(3, f[1].Length);
            Assert.Equal(3, f[2].Length);
        }
        Assert.Throws<ArgumentException>(() => new ArithmeticProblemGenerator(1, DataSplit.Train, options with { MinDigits = 0 }));
        Assert.Throws<ArgumentException>(() => new ArithmeticProblemGenerator(1, DataSplit.Train, options with { MulSecondDigits = 0 }));
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
        Assert.InRange(rows.Count, 1, 54);   // 55 one-digit sums up to order, about 10% of them in the test split
    }

    [Fact]
    public void JsonlRowsHaveTheChatLayoutAnswerAndTask()
    {
        var p = new ArithmeticProblemGenerator(5).Next();
        using var doc = JsonDocument.Parse(ProblemsJsonl.ToRow(p));
        var msgs = doc.RootElement.GetProperty("messages");
        Assert.Equal(2, msgs.GetArrayLength());
        Assert.Equal("user", msgs[0].GetProperty("role").GetString());
        Assert.Equal(p.Question, msgs[0].GetProperty("content").GetString());
        Assert.Equal("assistant", msgs[1].GetProperty("role").GetString());
        Assert.Equal(p.AssistantContent, msgs[1].GetProperty("content").GetString());
        Assert.Equal(p.Answer, doc.RootElement.GetProperty("answer").GetString());
        Assert.Equal(p.Task, doc.RootElement.GetProperty("task").GetString());
        Assert.False(doc.RootElement.TryGetProperty("numbers", out _));

        using var pc = JsonDocument.Parse(ProblemsJsonl.ToRow(p, ProblemRowFormat.PromptCompletion));
        Assert.Equal(p.AssistantContent, pc.RootElement.GetProperty("completion").GetString());
        Assert.Equal(p.Task, pc.RootElement.GetProperty("task").GetString());
        var sw = new StringWriter();
        Assert.Equal(3, ProblemsJsonl.Write(sw, new ArithmeticProblemGenerator(5).Generate(3, false)));
        Assert.Equal(3, sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void RenderedPromptsOwnTheOpenedThinkTag()
    {
        var p = new ArithmeticProblemGenerator(5).Next();
        using var doc = JsonDocument.Parse(ProblemsJsonl.ToRow(p, ProblemRowFormat.PromptCompletion, q => $"<U>{q}<A><think>\n"));
        Assert.Equal($"<U>{p.Question}<A><think>\n", doc.RootElement.GetProperty("prompt").GetString());
        Assert.Equal(p.AssistantContent["<think>\n".Length..], doc.RootElement.GetProperty("completion").GetString());
        using var plain = JsonDocument.Parse(ProblemsJsonl.ToRow(p, ProblemRowFormat.PromptCompletion, q => $"<U>{q}<A>"));
        Assert.Equal(p.AssistantContent, plain.RootElement.GetProperty("completion").GetString());
        Assert.Equal(p.Question + "\n" + p.AssistantContent + "\n", ProblemsJsonl.ToRow(p, ProblemRowFormat.Plain));
    }
}
