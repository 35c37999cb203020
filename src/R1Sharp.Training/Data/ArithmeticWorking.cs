using System.Globalization;

namespace R1Sharp.Training.Data;

/// <summary>Step-by-step working for the four operations, written the way it is done on paper: column addition
/// and subtraction with carries and borrows, long multiplication by partial products, long division. Each
/// method appends lines (no trailing newline handling needed by callers: lines are joined with '\n').</summary>
internal static class ArithmeticWorking
{
    private static readonly string[] Places =
        ["ones", "tens", "hundreds", "thousands", "ten thousands", "hundred thousands", "millions", "ten millions"];

    internal static string S(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Place(int i) => i < Places.Length ? Places[i] : $"10^{i}";

    private static int[] DigitsLowFirst(long v)
    {
        if (v == 0) return [0];
        var d = new List<int>();
        for (; v > 0; v /= 10) d.Add((int)(v % 10));
        return [.. d];
    }

    /// <summary>a + b (both non-negative) column by column from the ones; returns the sum.</summary>
    public static long Add(List<string> lines, long a, long b)
    {
        lines.Add($"Add {S(a)} + {S(b)} column by column from the ones.");
        int[] da = DigitsLowFirst(a), db = DigitsLowFirst(b);
        int n = Math.Max(da.Length, db.Length), carry = 0;
        for (int i = 0; i < n; i++)
        {
            int x = i < da.Length ? da[i] : 0, y = i < db.Length ? db[i] : 0;
            int s = x + y + carry;
            string expr = carry > 0 ? $"{x} + {y} + {carry}" : $"{x} + {y}";
            carry = s / 10;
            lines.Add(carry > 0 ? $"{Place(i)}: {expr} = {s}, write {s % 10}, carry {carry}" : $"{Place(i)}: {expr} = {s}, write {s}");
        }
        if (carry > 0) lines.Add($"{Place(n)}: carry {carry}, write {carry}");
        long r = a + b;
        lines.Add($"Result: {S(r)}");
        return r;
    }

    /// <summary>a - b with a &gt;= b &gt;= 0, column by column with borrows; returns the difference.</summary>
    public static long SubtractNonNegative(List<string> lines, long a, long b)
    {
        if (a < b) throw new ArgumentException("a must be at least b");
        lines.Add($"Subtract {S(a)} - {S(b)} column by column from the ones.");
        int[] da = DigitsLowFirst(a), db = DigitsLowFirst(b);
        int borrow = 0;
        for (int i = 0; i < da.Length; i++)
        {
            int x = da[i], y = i < db.Length ? db[i] : 0;
            string expr = borrow > 0 ? $"{x} - {y} - {borrow}" : $"{x} - {y}";
            int d = x - y - borrow;
            if (d < 0)
            {
                string expr2 = borrow > 0 ? $"{x + 10} - {y} - {borrow}" : $"{x + 10} - {y}";
                lines.Add($"{Place(i)}: {expr} is negative, borrow: {expr2} = {d + 10}, write {d + 10}, borrow 1");
                borrow = 1;
            }
            else
            {
                lines.Add($"{Place(i)}: {expr} = {d}, write {d}");
                borrow = 0;
            }
        }
        long r = a - b;
        lines.Add($"Result: {S(r)}");
        return r;
    }

    /// <summary>a - b for any non-negative a, b: when a &lt; b, computes b - a and negates.</summary>
    public static long Subtract(List<string> lines, long a, long b)
    {
        if (a >= b) return SubtractNonNegative(lines, a, b);
        lines.Add($"{S(a)} is less than {S(b)}, so compute {S(b)} - {S(a)} and make it negative.");
        long r = SubtractNonNegative(lines, b, a);
        lines.Add($"So {S(a)} - {S(b)} = {S(-r)}.");
        return -r;
    }

    /// <summary>a × d for a single digit d (1..9), digit by digit with carries; returns the product.</summary>
    public static long MultiplyByDigit(List<string> lines, long a, int d)
    {
        lines.Add($"{S(a)} × {d}:");
        int[] da = DigitsLowFirst(a);
        int carry = 0;
        for (int i = 0; i < da.Length; i++)
        {
            int p = da[i] * d + carry;
            string expr = carry > 0 ? $"{da[i]} × {d} + {carry}" : $"{da[i]} × {d}";
            bool last = i == da.Length - 1;
            carry = p / 10;
            if (last) lines.Add($"{Place(i)}: {expr} = {p}, write {p}");
            else lines.Add(carry > 0 ? $"{Place(i)}: {expr} = {p}, write {p % 10}, carry {carry}" : $"{Place(i)}: {expr} = {p}, write {p}");
        }
        long r = a * d;
        lines.Add($"{S(a)} × {d} = {S(r)}");
        return r;
    }

    /// <summary>a × b (non-negative) by partial products, one per non-zero digit of b, then column addition.</summary>
    public static long Multiply(List<string> lines, long a, long b)
    {
        if (a == 0 || b == 0)
        {
            lines.Add($"Anything times 0 is 0, so {S(a)} × {S(b)} = 0.");
            return 0;
        }
        int[] db = DigitsLowFirst(b);
        var parts = new List<(int Digit, long Scale)>();
        long scale = 1;
        foreach (int d in db) { if (d != 0) parts.Add((d, scale)); scale *= 10; }
        if (db.Length == 1) lines.Add($"Multiply {S(a)} × {S(b)} digit by digit.");
        else lines.Add($"Multiply {S(a)} × {S(b)} by splitting {S(b)} into {string.Join(" and ", parts.Select(p => S(p.Digit * p.Scale)))}.");
        long sum = 0;
        var partials = new List<long>();
        foreach (var (d, sc) in parts)
        {
            long p = MultiplyByDigit(lines, a, d);
            if (sc > 1)
            {
                p *= sc;
                lines.Add($"so {S(a)} × {S(d * sc)} = {S(p)}");
            }
            partials.Add(p);
        }
        sum = partials[0];
        for (int i = 1; i < partials.Count; i++) sum = Add(lines, sum, partials[i]);
        return sum;
    }

    /// <summary>a ÷ b by long division (b &gt; 0); returns the quotient and writes the remainder when it is not 0.</summary>
    public static (long Quotient, long Remainder) Divide(List<string> lines, long a, long b)
    {
        if (b <= 0) throw new ArgumentException("divisor must be positive");
        lines.Add($"Divide {S(a)} ÷ {S(b)} by long division.");
        string digits = S(a);
        int pos = 0;
        long cur = 0;
        // Start with the shortest leading part that is at least b (or all digits when a < b).
        while (pos < digits.Length && (cur < b || pos == 0))
        {
            cur = cur * 10 + (digits[pos] - '0');
            pos++;
            if (cur >= b) break;
        }
        bool first = true;
        while (true)
        {
            long qd = cur / b, prod = qd * b, rem = cur - prod;
            string head = first ? "" : $"bring down {digits[pos - 1]}: ";
            lines.Add($"{head}{S(cur)} ÷ {S(b)} = {qd}, {qd} × {S(b)} = {S(prod)}, {S(cur)} - {S(prod)} = {S(rem)}");
            first = false;
            if (pos >= digits.Length) { cur = rem; break; }
            cur = rem * 10 + (digits[pos] - '0');
            pos++;
        }
        long quotient = a / b, remainder = a % b;
        lines.Add(remainder == 0 ? $"Result: {S(quotient)}" : $"Result: {S(quotient)} remainder {S(remainder)}");
        return (quotient, remainder);
    }
}
