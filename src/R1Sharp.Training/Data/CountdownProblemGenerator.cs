using System.Globalization;

namespace R1Sharp.Training.Data;

/// <summary>Settings of <see cref="CountdownProblemGenerator"/>.</summary>
public sealed record CountdownOptions
{
    /// <summary>How many numbers each puzzle gives (3 or 4).</summary>
    public int Count { get; init; } = 3;
    /// <summary>The numbers are drawn uniformly (with repeats) from MinNumber..MaxNumber.</summary>
    public int MinNumber { get; init; } = 1;
    public int MaxNumber { get; init; } = 25;
    /// <summary>Targets are whole numbers in 1..MaxTarget.</summary>
    public int MaxTarget { get; init; } = 999;
    /// <summary>Share of targets drawn uniformly from all reachable ones; the others are the value of a random expression
    /// (random pairs combined with a random valid operation), which favours the small targets puzzles usually have.</summary>
    public double UniformTargetShare { get; init; } = 0.5;
    /// <summary>Training split only: puzzles whose working would exceed this many lines are skipped (test puzzles are
    /// kept whatever their length, and those the working cannot solve get a reference answer from the exhaustive solver).</summary>
    public int MaxWorkingLines { get; init; } = 60;
    public int TestPercent { get; init; } = 10;
}

/// <summary>Seeded generator of Countdown puzzles ("Using the numbers 3, 7, 25, make 46. Use each number exactly once
/// with + - * /.") with the search of <see cref="CountdownWorking"/> as the working and an expression as the answer.</summary>
public sealed class CountdownProblemGenerator : ProblemGenerator
{
    private readonly CountdownOptions _options;

    public CountdownProblemGenerator(int seed, DataSplit split = DataSplit.Train, CountdownOptions? options = null)
        : base(seed, split, (options ?? new CountdownOptions()).TestPercent)
    {
        _options = options ?? new CountdownOptions();
        if (_options.Count is not (3 or 4)) throw new ArgumentException("Countdown puzzles have 3 or 4 numbers");
        if (_options.MinNumber < 1 || _options.MaxNumber < _options.MinNumber || _options.MaxNumber > 1000)
            throw new ArgumentException("numbers must satisfy 1 <= min <= max <= 1000");
        if (_options.MaxTarget < 1) throw new ArgumentException("the largest target must be at least 1");
        if (_options.UniformTargetShare is < 0 or > 1) throw new ArgumentException("the uniform target share must be in [0, 1]");
        if (_options.MaxWorkingLines < 1) throw new ArgumentException("the working needs at least one line");
    }

    /// <summary>The question in the task's exact wording.</summary>
    public static string Question(IReadOnlyList<int> numbers, int target) =>
        $"Using the numbers {string.Join(", ", numbers.Select(n => n.ToString(CultureInfo.InvariantCulture)))}, make {target.ToString(CultureInfo.InvariantCulture)}. " +
        "Use each number exactly once with + - * /.";

    /// <summary>"countdown:" + the numbers sorted + the target: a puzzle is the same whatever the order of its numbers.</summary>
    public static string Key(IReadOnlyList<int> numbers, int target) =>
        $"countdown:{string.Join(",", numbers.Order().Select(n => n.ToString(CultureInfo.InvariantCulture)))}:{target.ToString(CultureInfo.InvariantCulture)}";

    protected override GeneratedProblem? Draw()
    {
        int[] numbers = new int[_options.Count];
        for (int i = 0; i < numbers.Length; i++) numbers[i] = Rng.Next(_options.MinNumber, _options.MaxNumber + 1);
        int? target = Rng.NextDouble() < _options.UniformTargetShare ? UniformTarget(numbers) : RandomExpressionTarget(numbers);
        if (target is not int t) return null;
        // Decide the split before the (costlier) working; Next() would discard the other split's puzzles anyway.
        string key = Key(numbers, t);
        bool test = IsTestKey(key, _options.TestPercent);
        if (test != (Split == DataSplit.Test)) return null;

        var lines = new List<string>();
        string? answer = CountdownWorking.Solve(numbers, t, lines, test ? int.MaxValue : _options.MaxWorkingLines);
        if (answer == null)
        {
            if (!test) return null;
            answer = CountdownSolver.Reachable(numbers)[t];
            lines.Add($"Combining the numbers in pairs instead: {t.ToString(CultureInfo.InvariantCulture)} = {answer}");
        }
        return new GeneratedProblem($"countdown{numbers.Length}", key, Question(numbers, t), string.Join("\n", lines), answer)
        {
            Numbers = numbers, Target = t,
        };
    }

    private int? UniformTarget(int[] numbers)
    {
        var targets = CountdownSolver.Reachable(numbers).Keys.Where(v => v >= 1 && v <= _options.MaxTarget).Order().ToList();
        return targets.Count == 0 ? null : (int)targets[Rng.Next(targets.Count)];
    }

    /// <summary>Combines two random values of the pool with a random operation (+, larger - smaller, *, exact larger / smaller)
    /// until one value is left; null when it is out of range.</summary>
    private int? RandomExpressionTarget(int[] numbers)
    {
        var pool = numbers.Select(n => (long)n).ToList();
        while (pool.Count > 1)
        {
            int i = Rng.Next(pool.Count), j = Rng.Next(pool.Count - 1);
            if (j >= i) j++;
            long hi = Math.Max(pool[i], pool[j]), lo = Math.Min(pool[i], pool[j]);
            var options = new List<long> { hi + lo, hi - lo, hi * lo };
            if (lo > 1 && hi % lo == 0) options.Add(hi / lo);
            long v = options[Rng.Next(options.Count)];
            pool.RemoveAt(Math.Max(i, j));
            pool.RemoveAt(Math.Min(i, j));
            pool.Add(v);
        }
        return pool[0] >= 1 && pool[0] <= _options.MaxTarget ? (int)pool[0] : null;
    }
}
