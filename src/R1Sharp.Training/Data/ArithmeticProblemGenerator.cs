using static R1Sharp.Training.Data.ArithmeticWorking;

namespace R1Sharp.Training.Data;

/// <summary>Which half of the problem space a generator draws from. The partition is a fixed function of a
/// problem's <see cref="ArithmeticProblem.Key"/> (a stable hash), so train and test never share a problem,
/// whatever seeds and counts are used.</summary>
public enum DataSplit { Train, Test }

/// <summary>Settings of <see cref="ArithmeticProblemGenerator"/>.</summary>
public sealed record ArithmeticOptions
{
    /// <summary>Relative weight of each kind; kinds absent or with weight 0 are never generated.</summary>
    public IReadOnlyDictionary<ArithmeticKind, double> Weights { get; init; } = new Dictionary<ArithmeticKind, double>
    {
        [ArithmeticKind.Addition] = 3, [ArithmeticKind.Subtraction] = 2, [ArithmeticKind.Multiplication] = 2,
        [ArithmeticKind.Division] = 1, [ArithmeticKind.WordProblem] = 2,
    };
    /// <summary>Digits of the operands of addition and subtraction, and of the first factor of multiplication.</summary>
    public int MinDigits { get; init; } = 2;
    public int MaxDigits { get; init; } = 4;
    /// <summary>Digits of the second factor of multiplication (1..2 keeps the working short).</summary>
    public int MaxMultiplierDigits { get; init; } = 2;
    /// <summary>Percent of the problem space (by key hash) reserved for the test split.</summary>
    public int TestPercent { get; init; } = 10;
}

/// <summary>Seeded generator of arithmetic problems with step-by-step working in DeepSeek-R1's format.
/// The same seed and options always give the same sequence of problems.</summary>
public sealed class ArithmeticProblemGenerator
{
    private static readonly string[] Names = ["Tom", "Anna", "Ben", "Maria", "Sam", "Lily", "Omar", "Mia", "Leo", "Zoe", "Ivan", "Emma"];
    private static readonly string[] Items = ["apples", "pencils", "marbles", "stickers", "books", "coins", "cards", "oranges", "shells", "stamps"];
    private static readonly string[] Containers = ["boxes", "bags", "crates", "packs", "jars"];

    private readonly Random _rng;
    private readonly ArithmeticOptions _options;
    private readonly DataSplit _split;
    private readonly (ArithmeticKind Kind, double Cumulative)[] _kinds;

    public ArithmeticProblemGenerator(int seed, DataSplit split = DataSplit.Train, ArithmeticOptions? options = null)
    {
        _options = options ?? new ArithmeticOptions();
        if (_options.MinDigits < 1 || _options.MaxDigits < _options.MinDigits || _options.MaxDigits > 9)
            throw new ArgumentException($"digits must satisfy 1 <= min <= max <= 9 (got {_options.MinDigits}..{_options.MaxDigits})");
        if (_options.MaxMultiplierDigits is < 1 or > 4) throw new ArgumentException("multiplier digits must be 1..4");
        if (_options.TestPercent is < 1 or > 99) throw new ArgumentException("test percent must be 1..99");
        _rng = new Random(seed);
        _split = split;
        double total = 0;
        var kinds = new List<(ArithmeticKind, double)>();
        foreach (var kind in Enum.GetValues<ArithmeticKind>())
            if (_options.Weights.TryGetValue(kind, out double w) && w > 0) kinds.Add((kind, total += w));
        if (kinds.Count == 0) throw new ArgumentException("no problem kind has a positive weight");
        _kinds = [.. kinds.Select(k => (k.Item1, k.Item2 / total))];
    }

    /// <summary>True when a problem key belongs to the test split (FNV-1a hash of the key, mod 100).</summary>
    public static bool IsTestKey(string key, int testPercent = 10)
    {
        uint h = 2166136261;
        foreach (char c in key) { h ^= c; h *= 16777619; }
        return h % 100 < (uint)testPercent;
    }

    /// <summary>The next problem of this generator's split.</summary>
    public ArithmeticProblem Next()
    {
        for (int attempt = 0; ; attempt++)
        {
            var p = Draw();
            if (IsTestKey(p.Key, _options.TestPercent) == (_split == DataSplit.Test)) return p;
            if (attempt > 100_000) throw new InvalidOperationException("the problem space of this split is empty");
        }
    }

    /// <summary>Up to <paramref name="count"/> problems; with <paramref name="distinct"/>, no key repeats (the result may
    /// then be shorter when the problem space is smaller than the count).</summary>
    public IEnumerable<ArithmeticProblem> Generate(int count, bool distinct)
    {
        var seen = new HashSet<string>();
        int produced = 0, misses = 0;
        while (produced < count)
        {
            var p = Next();
            if (distinct && !seen.Add(p.Key))
            {
                if (++misses > 50 * count + 10_000) yield break;
                continue;
            }
            produced++;
            yield return p;
        }
    }

    private ArithmeticProblem Draw()
    {
        double u = _rng.NextDouble();
        var kind = _kinds.First(k => u < k.Cumulative || k.Cumulative >= 1).Kind;
        return kind switch
        {
            ArithmeticKind.Addition => MakeAddition(),
            ArithmeticKind.Subtraction => MakeSubtraction(),
            ArithmeticKind.Multiplication => MakeMultiplication(),
            ArithmeticKind.Division => MakeDivision(),
            _ => MakeWordProblem(),
        };
    }

    private long Number(int minDigits, int maxDigits)
    {
        int digits = _rng.Next(minDigits, maxDigits + 1);
        long lo = digits == 1 ? 0 : Pow10(digits - 1), hi = Pow10(digits);
        return _rng.NextInt64(lo, hi);
    }

    private static long Pow10(int n) { long r = 1; while (n-- > 0) r *= 10; return r; }

    private T Pick<T>(IReadOnlyList<T> items) => items[_rng.Next(items.Count)];

    private static string Join(List<string> lines) => string.Join("\n", lines);

    private string Phrase(string a, string op, string opWord, string b) => _rng.Next(4) switch
    {
        0 => $"What is {a} {op} {b}?",
        1 => $"Compute {a} {op} {b}.",
        2 => $"Calculate {a} {opWord} {b}.",
        _ => $"{a} {op} {b} = ?",
    };

    private ArithmeticProblem MakeAddition()
    {
        long a = Number(_options.MinDigits, _options.MaxDigits), b = Number(_options.MinDigits, _options.MaxDigits);
        var lines = new List<string>();
        long r = Add(lines, a, b);
        lines.Add($"So {S(a)} + {S(b)} = {S(r)}.");
        return new(ArithmeticKind.Addition, $"add:{a}:{b}", Phrase(S(a), "+", "plus", S(b)), Join(lines), r);
    }

    private ArithmeticProblem MakeSubtraction()
    {
        long a = Number(_options.MinDigits, _options.MaxDigits), b = Number(_options.MinDigits, _options.MaxDigits);
        // Mostly a >= b; about one in five results is negative.
        if (a < b && _rng.Next(5) != 0) (a, b) = (b, a);
        var lines = new List<string>();
        long r = Subtract(lines, a, b);
        if (r >= 0) lines.Add($"So {S(a)} - {S(b)} = {S(r)}.");
        return new(ArithmeticKind.Subtraction, $"sub:{a}:{b}", Phrase(S(a), "-", "minus", S(b)), Join(lines), r);
    }

    private ArithmeticProblem MakeMultiplication()
    {
        long a = Number(_options.MinDigits, _options.MaxDigits);
        long b = Number(1, _options.MaxMultiplierDigits);
        if (b < 2) b = 2 + _rng.Next(8);
        var lines = new List<string>();
        long r = Multiply(lines, a, b);
        lines.Add($"So {S(a)} × {S(b)} = {S(r)}.");
        string op = _rng.Next(2) == 0 ? "×" : "*";
        return new(ArithmeticKind.Multiplication, $"mul:{a}:{b}", Phrase(S(a), op, "times", S(b)), Join(lines), r);
    }

    private ArithmeticProblem MakeDivision()
    {
        long b = 2 + _rng.Next(8);                         // divisor 2..9
        long q = Number(Math.Max(1, _options.MinDigits - 1), Math.Max(1, _options.MaxDigits - 1));
        if (q < 2) q = 2 + _rng.Next(8);
        long a = b * q;                                    // exact division
        var lines = new List<string>();
        Divide(lines, a, b);
        lines.Add($"So {S(a)} ÷ {S(b)} = {S(q)}.");
        string op = _rng.Next(2) == 0 ? "÷" : "/";
        return new(ArithmeticKind.Division, $"div:{a}:{b}", Phrase(S(a), op, "divided by", S(b)), Join(lines), q);
    }

    private ArithmeticProblem MakeWordProblem()
    {
        string name = Pick(Names), other = Pick(Names.Where(n => n != name).ToArray()), item = Pick(Items);
        int template = _rng.Next(7);
        var lines = new List<string>();
        long a, b, c = 0, r;
        string q;
        switch (template)
        {
            case 0:
                a = Number(1, 3); b = Number(1, 3);
                q = $"{name} has {S(a)} {item} and buys {S(b)} more. How many {item} does {name} have now?";
                lines.Add($"{name} starts with {S(a)} {item} and buys {S(b)} more, so I add.");
                r = Add(lines, a, b);
                lines.Add($"So {name} has {S(r)} {item}.");
                break;
            case 1:
                a = Number(1, 3); b = Number(1, 3);
                q = $"There are {S(a)} {item} in a basket. {name} puts in {S(b)} more. How many {item} are in the basket now?";
                lines.Add($"The basket has {S(a)} {item} and {S(b)} more are added, so I add.");
                r = Add(lines, a, b);
                lines.Add($"So there are {S(r)} {item} in the basket.");
                break;
            case 2:
                a = Number(2, 3); b = Number(1, 3);
                if (a < b) (a, b) = (b, a);
                q = $"{name} has {S(a)} {item} and gives {S(b)} of them to {other}. How many {item} does {name} have left?";
                lines.Add($"{name} starts with {S(a)} {item} and gives away {S(b)}, so I subtract.");
                r = SubtractNonNegative(lines, a, b);
                lines.Add($"So {name} has {S(r)} {item} left.");
                break;
            case 3:
                a = Number(2, 3); b = Number(1, 3);
                if (a < b) (a, b) = (b, a);
                q = $"A shop had {S(a)} {item}. It sold {S(b)} of them. How many {item} does the shop have left?";
                lines.Add($"The shop starts with {S(a)} {item} and sells {S(b)}, so I subtract.");
                r = SubtractNonNegative(lines, a, b);
                lines.Add($"So the shop has {S(r)} {item} left.");
                break;
            case 4:
            {
                string box = Pick(Containers);
                a = 2 + _rng.Next(18); b = Number(1, 2);
                if (b < 2) b = 2 + _rng.Next(8);
                q = $"{name} buys {S(a)} {box} with {S(b)} {item} in each. How many {item} does {name} buy in total?";
                lines.Add($"There are {S(a)} {box} of {S(b)} {item} each, so I multiply {S(b)} × {S(a)}.");
                r = Multiply(lines, b, a);
                lines.Add($"So {name} buys {S(r)} {item}.");
                break;
            }
            case 5:
                b = 2 + _rng.Next(8); c = 2 + _rng.Next(98); a = b * c;
                q = $"{name} shares {S(a)} {item} equally among {S(b)} friends. How many {item} does each friend get?";
                lines.Add($"{S(a)} {item} are shared equally by {S(b)} friends, so I divide.");
                (r, _) = Divide(lines, a, b);
                lines.Add($"So each friend gets {S(r)} {item}.");
                c = 0;
                break;
            default:
                a = Number(2, 3); b = Number(1, 2); c = Number(1, 3);
                if (c > a + b) c = (a + b) / 2;
                q = $"{name} has {S(a)} {item}, buys {S(b)} more and then gives {S(c)} to {other}. How many {item} does {name} have now?";
                lines.Add($"First {name} buys {S(b)} more, so I add {S(a)} + {S(b)}.");
                long t = Add(lines, a, b);
                lines.Add($"Then {name} gives away {S(c)}, so I subtract {S(t)} - {S(c)}.");
                r = SubtractNonNegative(lines, t, c);
                lines.Add($"So {name} has {S(r)} {item}.");
                break;
        }
        return new(ArithmeticKind.WordProblem, $"word{template}:{a}:{b}:{c}", q, Join(lines), r);
    }
}
