namespace R1Sharp.Training.Data;

/// <summary>
/// Exhaustive Countdown: every whole number an expression over all the given numbers can make with + - * / and
/// parentheses, each number used exactly once, every intermediate result a whole number (division only where exact;
/// intermediate results may be negative), with one expression for each. Used to pick reachable targets and to give
/// reference answers; the working a model learns is <see cref="CountdownWorking"/>.
/// </summary>
public static class CountdownSolver
{
    /// <summary>Value -> one expression (fully parenthesized sub-expressions) for every value reachable with all of
    /// <paramref name="numbers"/>. Deterministic: the first expression found in a fixed order is kept.</summary>
    public static IReadOnlyDictionary<long, string> Reachable(IReadOnlyList<int> numbers)
    {
        int n = numbers.Count;
        if (n is < 1 or > 6) throw new ArgumentException("Countdown takes 1 to 6 numbers");
        var sets = new Dictionary<long, string>[1 << n];
        for (int i = 0; i < n; i++) sets[1 << i] = new() { [numbers[i]] = numbers[i].ToString(System.Globalization.CultureInfo.InvariantCulture) };
        for (int mask = 1; mask < 1 << n; mask++)
        {
            if (sets[mask] != null) continue;
            var here = new Dictionary<long, string>();
            // Split into two non-empty halves; each unordered split once (the lowest set bit stays left).
            int low = mask & -mask;
            for (int left = (mask - 1) & mask; left > 0; left = (left - 1) & mask)
            {
                if ((left & low) == 0) continue;
                int right = mask ^ left;
                foreach (var (a, ea) in sets[left])
                    foreach (var (b, eb) in sets[right])
                    {
                        Add(here, a + b, $"{Wrap(ea)} + {Wrap(eb)}");
                        Add(here, a - b, $"{Wrap(ea)} - {Wrap(eb)}");
                        Add(here, b - a, $"{Wrap(eb)} - {Wrap(ea)}");
                        Add(here, a * b, $"{Wrap(ea)} * {Wrap(eb)}");
                        if (b != 0 && a % b == 0) Add(here, a / b, $"{Wrap(ea)} / {Wrap(eb)}");
                        if (a != 0 && b % a == 0) Add(here, b / a, $"{Wrap(eb)} / {Wrap(ea)}");
                    }
            }
            sets[mask] = here;
        }
        return sets[(1 << n) - 1];
    }

    private static void Add(Dictionary<long, string> set, long value, string expression) => set.TryAdd(value, expression);

    private static string Wrap(string e) => e.Contains(' ') ? $"({e})" : e;
}
