using System.Data;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using R1Sharp.Evaluation;
using R1Sharp.Training.Data;

namespace R1Sharp.Training.Tests.Data;

public class CountdownTests
{
    private static readonly Regex TableLine = new(@"^(?<a>\d+),(?<b>\d+): \+(?<s>\d+) -(?<d>\d+) \*(?<p>\d+)(?: /(?<q>\d+))?$", RegexOptions.Compiled);
    private static readonly Regex Step = new(@"^ ?(?<x>\d+)(?<op>[-+*/])(?<y>\d+)=(?<r>\d+)(?: (?<p>\d+),(?<q>\d+) (?<verdict>yes|no)| from (?<rest>[\d,]+):)$", RegexOptions.Compiled);
    private static readonly Regex Built = new(@"^(?<v>\d+) = (?<e>[\d ()+*/-]+)$", RegexOptions.Compiled);

    /// <summary>The value of a spaced expression by an independent evaluator (System.Data), which must be a whole number.</summary>
    private static long Value(string expression)
    {
        double v = Convert.ToDouble(new DataTable().Compute(expression, null), CultureInfo.InvariantCulture);
        Assert.Equal(Math.Round(v), v);
        return (long)v;
    }

    /// <summary>Checks every line of a working: table entries are the true sum, difference, product and quotient; every
    /// backward step is true arithmetic; each yes/no says whether the pair's table holds the value; each built
    /// expression has the value it claims. Returns the number of lines checked.</summary>
    private static int CheckWorking(GeneratedProblem p)
    {
        var table = new Dictionary<string, HashSet<long>>();
        int n = 0;
        foreach (string line in p.Working.Split('\n').Skip(1))
        {
            if (TableLine.Match(line) is { Success: true } t)
            {
                long a = long.Parse(t.Groups["a"].Value), b = long.Parse(t.Groups["b"].Value);
                Assert.Equal(a + b, long.Parse(t.Groups["s"].Value));
                Assert.Equal(Math.Abs(a - b), long.Parse(t.Groups["d"].Value));
                Assert.Equal(a * b, long.Parse(t.Groups["p"].Value));
                long lo = Math.Min(a, b), hi = Math.Max(a, b);
                Assert.Equal(lo > 1 && hi % lo == 0, t.Groups["q"].Success);
                var values = new HashSet<long> { a + b, hi - lo, a * b };
                if (t.Groups["q"].Success) { Assert.Equal(hi / lo, long.Parse(t.Groups["q"].Value)); values.Add(hi / lo); }
                table[$"{a},{b}"] = values;
            }
            else if (Step.Match(line) is { Success: true } s)
            {
                long x = long.Parse(s.Groups["x"].Value), y = long.Parse(s.Groups["y"].Value), r = long.Parse(s.Groups["r"].Value);
                long expected = s.Groups["op"].Value switch { "+" => x + y, "-" => x - y, "*" => x * y, _ => x / y };
                Assert.True(expected == r, $"'{line}' in\n{p.Working}");
                if (s.Groups["op"].Value == "/") Assert.Equal(0, x % y);
                if (s.Groups["verdict"].Success)
                {
                    string pair = $"{s.Groups["p"].Value},{s.Groups["q"].Value}";
                    Assert.True(table.ContainsKey(pair), $"pair {pair} not in the table:\n{p.Working}");
                    Assert.Equal(table[pair].Contains(r), s.Groups["verdict"].Value == "yes");
                }
            }
            else if (Built.Match(line) is { Success: true } e)
            {
                Assert.Equal(long.Parse(e.Groups["v"].Value), Value(e.Groups["e"].Value));
            }
            else
            {
                Assert.StartsWith("Combining the numbers in pairs instead: ", line);
                continue;
            }
            n++;
        }
        return n;
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void EveryAnswerSolvesItsPuzzleAndEveryLineOfTheWorkingHolds(int count)
    {
        int lines = 0;
        foreach (var split in new[] { DataSplit.Train, DataSplit.Test })
            foreach (var p in new CountdownProblemGenerator(count, split, new CountdownOptions { Count = count }).Generate(300, false))
            {
                Assert.Equal($"countdown{count}", p.Task);
                Assert.Equal(CountdownProblemGenerator.Question(p.Numbers!, p.Target!.Value), p.Question);
                Assert.InRange(p.Target.Value, 1, 999);
                Assert.All(p.Numbers!, v => Assert.InRange(v, 1, 25));
                // The independent verifier (R1Sharp.Evaluation) accepts the answer, read back from the question alone.
                var check = CountdownVerifier.Check(p.Answer, CountdownPuzzle.TryParse(p.Question)!);
                Assert.True(check.IsCorrect, $"{p.Question} -> {p.Answer}: {check.Reason}");
                Assert.EndsWith($"\n</think>\n\nThe answer is {p.Answer}.", p.AssistantContent);
                lines += CheckWorking(p);
            }
        Assert.True(lines > 3000, $"only {lines} lines checked");
    }

    [Fact]
    public void ThreeNumberWorkingMatchesHandSearch()
    {
        var lines = new List<string>();
        Assert.Equal("(3 * 7) + 25", CountdownWorking.Solve([3, 7, 25], 46, lines));
        Assert.Equal(
        [
            "Make 46 from 3, 7, 25.",
            "3,7: +10 -4 *21",
            "3,25: +28 -22 *75",
            "7,25: +32 -18 *175",
            "46-3=43 7,25 no",                // none of 3, 7, 25 divides 46, so subtraction comes first
            "46-7=39 3,25 no",
            "46-25=21 3,7 yes",
            "21 = 3 * 7",
            "46 = (3 * 7) + 25",
        ], lines);
    }

    [Fact]
    public void FourNumberWorkingGoesOneLevelDeeper()
    {
        var lines = new List<string>();
        string? answer = CountdownWorking.Solve([9, 8, 7, 16], 833, lines);
        Assert.Equal("((8 * 16) - 9) * 7", answer);
        Assert.Equal(
        [
            "Make 833 from 9, 8, 7, 16.",
            "9,8: +17 -1 *72",
            "9,7: +16 -2 *63",
            "9,16: +25 -7 *144",
            "8,7: +15 -1 *56",
            "8,16: +24 -8 *128 /2",
            "7,16: +23 -9 *112",
            "833/7=119 from 9,8,16:",          // 833 = 7 * 7 * 17: only 7 divides it
            " 119-9=110 8,16 no",
            " 119-8=111 9,16 no",
            " 119-16=103 9,8 no",
            " 119+9=128 8,16 yes",
            "128 = 8 * 16",
            "119 = (8 * 16) - 9",
            "833 = ((8 * 16) - 9) * 7",
        ], lines);
    }

    [Fact]
    public void SmallTargetsAlsoTryDividingBack()
    {
        // 3 from 2, 3, 7: no x divides, subtracts or adds to a value of the other pair; (2 + 7) / 3 does.
        var lines = new List<string>();
        Assert.Equal("(2 + 7) / 3", CountdownWorking.Solve([2, 3, 7], 3, lines));
        Assert.Equal("3*3=9 2,7 yes", lines[^3]);
    }

    [Fact]
    public void TheSearchSolvesNearlyEveryReachablePuzzle()
    {
        // Truth: the exhaustive solver. The chain search must find all but a few three-number puzzles, most four-number ones.
        var rng = new Random(3);
        foreach (var (count, floor) in new[] { (3, 0.97), (4, 0.80) })
        {
            int solved = 0, total = 0;
            while (total < 200)
            {
                int[] numbers = [.. Enumerable.Range(0, count).Select(_ => rng.Next(1, 26))];
                var targets = CountdownSolver.Reachable(numbers).Keys.Where(v => v is >= 1 and <= 999).Order().ToList();
                int target = (int)targets[rng.Next(targets.Count)];
                total++;
                if (CountdownWorking.Solve(numbers, target, []) is string answer)
                {
                    Assert.True(CountdownVerifier.Check(answer, numbers, target).IsCorrect, answer);
                    solved++;
                }
            }
            Assert.True(solved >= floor * total, $"{count} numbers: solved {solved}/{total}");
        }
    }

    [Fact]
    public void SolverReachesExactlyTheHandCountedValues()
    {
        // 1 and 2: 1+2=3, 1-2=-1, 2-1=1, 1*2=2, 2/1=2 (1/2 is not whole).
        Assert.Equal([-1, 1, 2, 3], CountdownSolver.Reachable([1, 2]).Keys.Order());
        foreach (var (value, expression) in CountdownSolver.Reachable([3, 7, 25]).Where(kv => kv.Key >= 1))
            Assert.True(CountdownVerifier.Check(expression, [3, 7, 25], value).IsCorrect, $"{expression} = {value}");
    }

    [Fact]
    public void TrainingWorkingsRespectTheLineLimitAndTestKeepsEveryPuzzle()
    {
        var options = new CountdownOptions { Count = 4, MaxWorkingLines = 20 };
        Assert.All(new CountdownProblemGenerator(1, DataSplit.Train, options).Generate(200, false),
            p => Assert.True(p.Working.Split('\n').Length <= 20, p.Working));
        // The test split keeps puzzles the search cannot solve; their answer comes from the exhaustive solver.
        var test = new CountdownProblemGenerator(1, DataSplit.Test, options).Generate(400, true).ToList();
        Assert.Contains(test, p => p.Working.Contains("Combining the numbers in pairs instead"));
        Assert.Contains(test, p => p.Working.Split('\n').Length > 20);
    }

    [Fact]
    public void SplitsAreDisjointWhateverTheOrderOfTheNumbers()
    {
        Assert.Equal(CountdownProblemGenerator.Key([7, 3, 25], 46), CountdownProblemGenerator.Key([25, 7, 3], 46));
        var options = new CountdownOptions { Count = 3, MaxNumber = 6 };          // a small space, so keys collide often
        var train = new CountdownProblemGenerator(1, DataSplit.Train, options).Generate(3000, false).Select(p => p.Key).ToHashSet();
        var test = new CountdownProblemGenerator(2, DataSplit.Test, options).Generate(100, true).Select(p => p.Key).ToList();
        Assert.NotEmpty(test);
        Assert.Equal(test.Count, test.Distinct().Count());
        Assert.DoesNotContain(test, train.Contains);
    }

    [Fact]
    public void SameSeedSameFile()
    {
        string Rows(int seed) => string.Join("\n", new CountdownProblemGenerator(seed, DataSplit.Train, new CountdownOptions { Count = 4 })
            .Generate(50, false).Select(p => ProblemsJsonl.ToRow(p)));
        Assert.Equal(Rows(5), Rows(5));
        Assert.NotEqual(Rows(5), Rows(6));
    }

    [Fact]
    public void RowsCarryTaskNumbersAndTargetAndEvaluationReadsThem()
    {
        var p = new CountdownProblemGenerator(2).Next();
        string row = ProblemsJsonl.ToRow(p);
        using var doc = JsonDocument.Parse(row);
        Assert.Equal("countdown3", doc.RootElement.GetProperty("task").GetString());
        Assert.Equal(p.Numbers, doc.RootElement.GetProperty("numbers").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(p.Target, doc.RootElement.GetProperty("target").GetInt32());
        var item = EvalDataset.Parse(row, 1);
        Assert.Equal(p.Answer, item.Gold);
        Assert.True(AnswerVerifier.IsCorrectCompletion(item, p.AssistantContent));
    }

    [Fact]
    public void BadOptionsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new CountdownProblemGenerator(1, DataSplit.Train, new CountdownOptions { Count = 5 }));
        Assert.Throws<ArgumentException>(() => new CountdownProblemGenerator(1, DataSplit.Train, new CountdownOptions { MinNumber = 0 }));
        Assert.Throws<ArgumentException>(() => new CountdownProblemGenerator(1, DataSplit.Train, new CountdownOptions { UniformTargetShare = 2 }));
        Assert.Throws<ArgumentException>(() => CountdownWorking.Solve([1, 2], 3, []));
    }
}
