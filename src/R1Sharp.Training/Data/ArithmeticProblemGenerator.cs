using static R1Sharp.Training.Data.ArithmeticWorking;

namespace R1Sharp.Training.Data;

/// <summary>The kinds of generated arithmetic problems.</summary>
public enum ArithmeticKind { Addition, Subtraction, Multiplication, Division, WordProblem }

/// <summary>Settings of <see cref="ArithmeticProblemGenerator"/>.</summary>
public sealed record ArithmeticOptions
{
    /// <summary>Relative weight of each kind; kinds absent or with weight 0 are never generated.</summary>
    public IReadOnlyDictionary<ArithmeticKind, double> Weights { get; init; } = new Dictionary<ArithmeticKind, double>
    {
        [ArithmeticKind.Addition] = 3, [ArithmeticKind.Subtraction] = 2, [ArithmeticKind.Multiplication] = 2,
        [ArithmeticKind.Division] = 1, [ArithmeticKind.WordProblem] = 2,
    };
    /// <summary>Digits of the operands of addition and subtraction: the first has MinDigits..MaxDigits digits (uniformly),
    /// the second MinDigits up to as many as the first and is at most the first (so differences are non-negative).</summary>
    public int MinDigits { get; init; } = 2;
    public int MaxDigits { get; init; } = 4;
    /// <summary>Digits of the two factors of multiplication (exactly).</summary>
    public int MulFirstDigits { get; init; } = 2;
    public int MulSecondDigits { get; init; } = 2;
    /// <summary>Percent of the problem space (by key hash) reserved for the test split.</summary>
    public int TestPercent { get; init; } = 10;
}

/// <summary>Seeded generator of arithmetic problems ("What is 4721 + 389?") with column-by-column working in
/// DeepSeek-R1's format (<see cref="ArithmeticWorking"/>), and short word problems.</summary>
public sealed class ArithmeticProblemGenerator : ProblemGenerator
{
    private static readonly string[] Names = ["Tom", "Anna", "Ben", "Maria", "Sam", "Lily", "Omar", "Mia", "Leo", "Zoe", "Ivan", "Emma"];
    private static readonly string[] Items = ["apples", "pencils", "marbles", "stickers", "books", "coins", "cards", "oranges", "shells", "stamps"];
    private static readonly string[] Containers = ["boxes", "bags", "crates", "packs", "jars"];

    private readonly ArithmeticOptions _options;
    private readonly (ArithmeticKind Kind, double Cumulative)[] _kinds;

    public ArithmeticProblemGenerator(int seed, DataSplit split = DataSplit.Train, ArithmeticOptions? options = null)
        : base(seed, split, (options ?? new ArithmeticOptions()).TestPercent)
    {
        _options = options ?? new ArithmeticOptions();
        if (_options.MinDigits < 1 || _options.MaxDigits < _options.MinDigits || _options.MaxDigits > 9)
            throw new ArgumentException($"digits must satisfy 1 <= min <= max <= 9 (got {_options.MinDigits}..{_options.MaxDigits})");
        if (_options.MulFirstDigits is < 1 or > 6 || _options.MulSecondDigits is < 1 or > 4)
            throw new ArgumentException("multiplication factors must have 1..6 and 1..4 digits");
        double total = 0;
        var kinds = new List<(ArithmeticKind, double)>();
        foreach (var kind in Enum.GetValues<ArithmeticKind>())
            if (_options.Weights.TryGetValue(kind, out double w) && w > 0) kinds.Add((kind, total += w));
        if (kinds.Count == 0) throw new ArgumentException("no problem kind has a positive weight");
        _kinds = [.. kinds.Select(k => (k.Item1, k.Item2 / total))];
    }

    /// <summary>The task name rows carry for a kind.</summary>
    public static string TaskName(ArithmeticKind kind) => kind switch
    {
        ArithmeticKind.Addition => "add",
        ArithmeticKind.Subtraction => "sub",
        ArithmeticKind.Multiplication => "mul",
        ArithmeticKind.Division => "div",
        _ => "word",
    };

    protected override GeneratedProblem Draw()
    {
        double u = Rng.NextDouble();
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
        int digits = Rng.Next(minDigits, maxDigits + 1);
        long lo = digits == 1 ? 0 : Pow10(digits - 1), hi = Pow10(digits);
        return Rng.NextInt64(lo, hi);
    }

    private static long Pow10(int n) { long r = 1; while (n-- > 0) r *= 10; return r; }

    private T Pick<T>(IReadOnlyList<T> items) => items[Rng.Next(items.Count)];

    /// <summary>(a, b) with a of MinDigits..MaxDigits digits and MinDigits &lt;= digits(b) &lt;= digits(a), b &lt;= a.</summary>
    private (long A, long B) Operands()
    {
        long a = Number(_options.MinDigits, _options.MaxDigits);
        long b = Number(_options.MinDigits, S(a).Length);
        return b > a ? (b, a) : (a, b);
    }

    private static GeneratedProblem Make(ArithmeticKind kind, string key, string question, List<string> lines, long answer) =>
        new(TaskName(kind), key, question, string.Join("\n", lines), S(answer));

    private GeneratedProblem MakeAddition()
    {
        var (a, b) = Operands();
        // One sum in five is asked with the smaller number first; the key is order-free (a + b and b + a are one problem).
        string key = $"add:{S(a)}:{S(b)}";
        if (Rng.Next(5) == 0) (a, b) = (b, a);
        var lines = new List<string>();
        long r = Add(lines, a, b);
        lines.Add($"{S(a)} + {S(b)} = {S(r)}");
        return Make(ArithmeticKind.Addition, key, $"What is {S(a)} + {S(b)}?", lines, r);
    }

    private GeneratedProblem MakeSubtraction()
    {
        var (a, b) = Operands();
        var lines = new List<string>();
        long r = Subtract(lines, a, b);
        lines.Add($"{S(a)} - {S(b)} = {S(r)}");
        return Make(ArithmeticKind.Subtraction, $"sub:{S(a)}:{S(b)}", $"What is {S(a)} - {S(b)}?", lines, r);
    }

    private GeneratedProblem MakeMultiplication()
    {
        long a = Number(_options.MulFirstDigits, _options.MulFirstDigits);
        long b = Number(_options.MulSecondDigits, _options.MulSecondDigits);
        string key = $"mul:{S(Math.Max(a, b))}:{S(Math.Min(a, b))}";
        var lines = new List<string>();
        long r = Multiply(lines, a, b);
        lines.Add($"{S(a)} * {S(b)} = {S(r)}");
        return Make(ArithmeticKind.Multiplication, key, $"What is {S(a)} * {S(b)}?", lines, r);
    }

    private GeneratedProblem MakeDivision()
    {
        long b = 2 + Rng.Next(8);                         // divisor 2..9
        long q = Number(Math.Max(1, _options.MinDigits - 1), Math.Max(1, _options.MaxDigits - 1));
        if (q < 2) q = 2 + Rng.Next(8);
        long a = b * q;                                    // exact division
        var lines = new List<string>();
        Divide(lines, a, b);
        lines.Add($"{S(a)} / {S(b)} = {S(q)}");
        return Make(ArithmeticKind.Division, $"div:{S(a)}:{S(b)}", $"What is {S(a)} / {S(b)}?", lines, q);
    }

    private GeneratedProblem MakeWordProblem()
    {
        string name = Pick(Names), other = Pick(Names.Where(n => n != name).ToArray()), item = Pick(Items);
        int template = Rng.Next(7);
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
                r = Subtract(lines, a, b);
                lines.Add($"So {name} has {S(r)} {item} left.");
                break;
            case 3:
                a = Number(2, 3); b = Number(1, 3);
                if (a < b) (a, b) = (b, a);
                q = $"A shop had {S(a)} {item}. It sold {S(b)} of them. How many {item} does the shop have left?";
                lines.Add($"The shop starts with {S(a)} {item} and sells {S(b)}, so I subtract.");
                r = Subtract(lines, a, b);
                lines.Add($"So the shop has {S(r)} {item} left.");
                break;
            case 4:
            {
                string box = Pick(Containers);
                a = 2 + Rng.Next(18); b = Number(1, 2);
                if (b < 2) b = 2 + Rng.Next(8);
                q = $"{name} buys {S(a)} {box} with {S(b)} {item} in each. How many {item} does {name} buy in total?";
                lines.Add($"There are {S(a)} {box} of {S(b)} {item} each, so I multiply {S(b)} * {S(a)}.");
                r = Multiply(lines, b, a);
                lines.Add($"So {name} buys {S(r)} {item}.");
                break;
            }
            case 5:
                b = 2 + Rng.Next(8); c = 2 + Rng.Next(98); a = b * c;
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
                r = Subtract(lines, t, c);
                lines.Add($"So {name} has {S(r)} {item}.");
                break;
        }
        return Make(ArithmeticKind.WordProblem, $"word{template}:{S(a)}:{S(b)}:{S(c)}", q, lines, r);
    }
}
