using System.Globalization;

namespace R1Sharp.Training.Data;

/// <summary>
/// The working of a Countdown puzzle as a systematic search a small model can execute line by line, every step a
/// small computation checked against something already written:
/// <list type="number">
/// <item>a table of what each pair of numbers makes: "3,7: +10 -4 *21" (sum, larger minus smaller, product, and the
/// quotient when exact, each marked with its operation so the expression can be read back);</item>
/// <item>working back from the target: the last step combines one number x with the rest, so the rest must make
/// T/x (when exact), T-x, T+x, x-T (when x &gt; T) or T*x (only for targets up to 25), in that order, for each x in the
/// question's order. With three numbers the rest is a pair, looked up in the table: "46-25=21 3,7 yes". With four the
/// rest is three numbers and the same step is taken once more, indented, for each candidate:
/// "186/3=62 from 7,25,12:" then " 62-25=37 7,12 no" ...;</item>
/// <item>on a hit, the expression is built back up, one line per step: "21 = 3 * 7", "46 = (3 * 7) + 25".</item>
/// </list>
/// This finds every solution whose expression is a chain (each operation takes at least one given number): all
/// three-number puzzles, and most four-number ones (not those that need (a op b) op (c op d)).
/// </summary>
public static class CountdownWorking
{
    private enum Move { Divide, Minus, Plus, ReverseMinus, Times }

    private static readonly Move[] MoveOrder = [Move.Divide, Move.Minus, Move.Plus, Move.ReverseMinus, Move.Times];

    /// <summary>Targets up to this also try "the rest divided by x" (T*x); larger ones would need large products.</summary>
    public const int SmallTarget = 25;

    private static string S(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Appends the search for <paramref name="target"/> to <paramref name="lines"/> and returns the expression
    /// found (spaced, e.g. "(3 * 7) + 25"), or null when no chain works or the working (every line, the table and the
    /// built expression included) would be longer than <paramref name="maxLines"/> lines (the lines written so far stay).</summary>
    public static string? Solve(IReadOnlyList<int> numbers, int target, List<string> lines, int maxLines = int.MaxValue)
    {
        if (numbers.Count is not (3 or 4)) throw new ArgumentException("the working covers 3 or 4 numbers");
        if (numbers.Any(n => n < 1)) throw new ArgumentException("numbers must be positive");
        int start = lines.Count;
        lines.Add($"Make {S(target)} from {string.Join(", ", numbers.Select(n => S(n)))}.");
        for (int i = 0; i < numbers.Count; i++)
            for (int j = i + 1; j < numbers.Count; j++)
                lines.Add(TableLine(numbers[i], numbers[j]));
        bool TooLong() => lines.Count - start > maxLines;

        if (numbers.Count == 3)
        {
            foreach (var (move, x, rest, r) in Moves(numbers, target))
            {
                if (TooLong()) return null;
                string? pair = PairExpression(rest[0], rest[1], r);
                lines.Add($"{MoveText(move, target, x)}={S(r)} {S(rest[0])},{S(rest[1])} {(pair != null ? "yes" : "no")}");
                if (pair == null) continue;
                lines.Add($"{S(r)} = {pair}");
                string answer = Combine(move, pair, x);
                lines.Add($"{S(target)} = {answer}");
                return TooLong() ? null : answer;
            }
            return null;
        }
        foreach (var (move, x, rest, r) in Moves(numbers, target))
        {
            if (TooLong()) return null;
            lines.Add($"{MoveText(move, target, x)}={S(r)} from {string.Join(",", rest.Select(n => S(n)))}:");
            foreach (var (move2, y, pairRest, r2) in Moves(rest, r))
            {
                if (TooLong()) return null;
                string? pair = PairExpression(pairRest[0], pairRest[1], r2);
                lines.Add($" {MoveText(move2, r, y)}={S(r2)} {S(pairRest[0])},{S(pairRest[1])} {(pair != null ? "yes" : "no")}");
                if (pair == null) continue;
                lines.Add($"{S(r2)} = {pair}");
                string inner = Combine(move2, pair, y);
                lines.Add($"{S(r)} = {inner}");
                string answer = Combine(move, inner, x);
                lines.Add($"{S(target)} = {answer}");
                return TooLong() ? null : answer;
            }
        }
        return null;
    }

    /// <summary>"a,b: +(a+b) -(hi-lo) *(a*b)" plus " /(hi/lo)" when lo &gt; 1 divides hi, e.g. "12,3: +15 -9 *36 /4".</summary>
    public static string TableLine(int a, int b)
    {
        int hi = Math.Max(a, b), lo = Math.Min(a, b);
        string line = $"{S(a)},{S(b)}: +{S(a + b)} -{S(hi - lo)} *{S((long)a * b)}";
        return lo > 1 && hi % lo == 0 ? line + $" /{S(hi / lo)}" : line;
    }

    /// <summary>The table's expression (spaced) of the first entry of pair (a, b) equal to <paramref name="value"/>, or null.</summary>
    private static string? PairExpression(int a, int b, long value)
    {
        int hi = Math.Max(a, b), lo = Math.Min(a, b);
        if (a + b == value) return $"{S(a)} + {S(b)}";
        if (hi - lo == value) return $"{S(hi)} - {S(lo)}";
        if ((long)a * b == value) return $"{S(a)} * {S(b)}";
        if (lo > 1 && hi % lo == 0 && hi / lo == value) return $"{S(hi)} / {S(lo)}";
        return null;
    }

    /// <summary>The backward steps from <paramref name="target"/>: (move, the number x used last, the other numbers in
    /// question order, what they must make). Each distinct x once (the first of equal numbers is removed).</summary>
    private static IEnumerable<(Move Move, int X, int[] Others, long R)> Moves(IReadOnlyList<int> numbers, long target)
    {
        foreach (var move in MoveOrder)
        {
            var seen = new HashSet<int>();
            for (int i = 0; i < numbers.Count; i++)
            {
                int x = numbers[i];
                if (!seen.Add(x)) continue;
                long? r = move switch
                {
                    Move.Divide => target % x == 0 ? target / x : null,
                    Move.Minus => target > x ? target - x : null,
                    Move.Plus => target + x,
                    Move.ReverseMinus => x > target ? x - target : null,
                    _ => target <= SmallTarget && x >= 2 ? target * x : null,
                };
                if (r is not long rv) continue;
                int[] rest = [.. numbers.Take(i), .. numbers.Skip(i + 1)];
                yield return (move, x, rest, rv);
            }
        }
    }

    private static string MoveText(Move move, long target, int x) => move switch
    {
        Move.Divide => $"{S(target)}/{S(x)}",
        Move.Minus => $"{S(target)}-{S(x)}",
        Move.Plus => $"{S(target)}+{S(x)}",
        Move.ReverseMinus => $"{S(x)}-{S(target)}",
        _ => $"{S(target)}*{S(x)}",
    };

    /// <summary>The expression for the target of a move, given the expression of what the rest made.</summary>
    private static string Combine(Move move, string rest, int x) => move switch
    {
        Move.Divide => $"({rest}) * {S(x)}",
        Move.Minus => $"({rest}) + {S(x)}",
        Move.Plus => $"({rest}) - {S(x)}",
        Move.ReverseMinus => $"{S(x)} - ({rest})",
        _ => $"({rest}) / {S(x)}",
    };
}
