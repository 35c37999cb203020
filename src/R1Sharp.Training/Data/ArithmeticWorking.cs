using System.Globalization;

namespace R1Sharp.Training.Data;

/// <summary>
/// Step-by-step working for the four operations, written so that a small transformer can execute it one token at a
/// time: one line per column from the ones, each line naming its place (the model fetches the digits of that place),
/// computing the column with the carry or borrow of the line before folded in, and ending with the digits written so
/// far ("so 110"), so the result is a copy of the last line rather than digits gathered back in reverse:
/// <code>
/// 4721 + 389
/// ones: 1+9=10, so 0
/// tens: 2+8+1=11, so 10
/// hundreds: 7+3+1=11, so 110
/// thousands: 4+0+1=5, so 5110
/// </code>
/// The last column writes its whole value (a final carry needs no line of its own). Each method appends lines and
/// returns the result.
/// </summary>
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
        lines.Add($"{S(a)} + {S(b)}");
        int[] da = DigitsLowFirst(a), db = DigitsLowFirst(b);
        int n = Math.Max(da.Length, db.Length), carry = 0;
        string written = "";
        for (int i = 0; i < n; i++)
        {
            int x = i < da.Length ? da[i] : 0, y = i < db.Length ? db[i] : 0;
            int s = x + y + carry;
            string expr = carry > 0 ? $"{x}+{y}+{carry}" : $"{x}+{y}";
            written = (i == n - 1 ? S(s) : S(s % 10)) + written;
            lines.Add($"{Place(i)}: {expr}={s}, so {written}");
            carry = s / 10;
        }
        return a + b;
    }

    /// <summary>a - b with a &gt;= b &gt;= 0, column by column with borrows; returns the difference. The digits written
    /// keep their leading zeros ("so 0032"); the caller's result line drops them.</summary>
    public static long Subtract(List<string> lines, long a, long b)
    {
        if (a < b) throw new ArgumentException("a must be at least b");
        lines.Add($"{S(a)} - {S(b)}");
        int[] da = DigitsLowFirst(a), db = DigitsLowFirst(b);
        int borrow = 0;
        string written = "";
        for (int i = 0; i < da.Length; i++)
        {
            int x = da[i], y = i < db.Length ? db[i] : 0;
            string expr = borrow > 0 ? $"{x}-{y}-{borrow}" : $"{x}-{y}";
            int d = x - y - borrow;
            if (d < 0)
            {
                written = S(d + 10) + written;
                lines.Add($"{Place(i)}: {expr} borrow, 1{expr}={d + 10}, so {written}");
                borrow = 1;
            }
            else
            {
                written = S(d) + written;
                lines.Add($"{Place(i)}: {expr}={d}, so {written}");
                borrow = 0;
            }
        }
        return a - b;
    }

    /// <summary>a × d for a single digit d, digit by digit with the carry folded into the next digit; returns the product.</summary>
    public static long MultiplyByDigit(List<string> lines, long a, int d)
    {
        if (d is < 0 or > 9) throw new ArgumentOutOfRangeException(nameof(d), "a single digit");
        if (d == 0)
        {
            lines.Add($"{S(a)} * 0 = 0");
            return 0;
        }
        lines.Add($"{S(a)} * {d}");
        int[] da = DigitsLowFirst(a);
        int carry = 0;
        string written = "";
        for (int i = 0; i < da.Length; i++)
        {
            int p = da[i] * d + carry;
            string expr = carry > 0 ? $"{da[i]}*{d}+{carry}" : $"{da[i]}*{d}";
            written = (i == da.Length - 1 ? S(p) : S(p % 10)) + written;
            lines.Add($"{Place(i)}: {expr}={p}, so {written}");
            carry = p / 10;
        }
        return a * d;
    }

    /// <summary>a × b (non-negative) by partial products, one per digit of b from the ones (shifted by its place),
    /// each added to the running sum by columns.</summary>
    public static long Multiply(List<string> lines, long a, long b)
    {
        int[] db = DigitsLowFirst(b);
        if (db.Length == 1) return MultiplyByDigit(lines, a, db[0]);
        lines.Add($"{S(a)} * {S(b)}");
        long sum = 0, scale = 1;
        for (int i = 0; i < db.Length; i++, scale *= 10)
        {
            long p = MultiplyByDigit(lines, a, db[i]);
            if (scale > 1 && p != 0)
            {
                p *= scale;
                lines.Add($"{S(a)} * {S(db[i] * scale)} = {S(p)}");
            }
            if (p != 0) sum = sum == 0 ? p : Add(lines, sum, p);
        }
        return sum;
    }

    /// <summary>a ÷ b by long division (b &gt; 0); returns the quotient and writes the remainder when it is not 0.</summary>
    public static (long Quotient, long Remainder) Divide(List<string> lines, long a, long b)
    {
        if (b <= 0) throw new ArgumentException("divisor must be positive");
        lines.Add($"{S(a)} / {S(b)}");
        string digits = S(a);
        int pos = 0;
        long cur = 0;
        // Start with the shortest leading part that is at least b (or all digits when a < b).
        while (pos < digits.Length)
        {
            cur = cur * 10 + (digits[pos] - '0');
            pos++;
            if (cur >= b) break;
        }
        string quotient = "";
        while (true)
        {
            long qd = cur / b, prod = qd * b, rem = cur - prod;
            quotient += S(qd);
            string head = quotient.Length == 1 ? "" : $"bring down {digits[pos - 1]}: ";
            lines.Add($"{head}{S(cur)}/{S(b)}={qd}, {qd}*{S(b)}={S(prod)}, {S(cur)}-{S(prod)}={S(rem)}, so {quotient}");
            if (pos >= digits.Length) break;
            cur = rem * 10 + (digits[pos] - '0');
            pos++;
        }
        long q = a / b, r = a % b;
        if (r != 0) lines.Add($"remainder {S(r)}");
        return (q, r);
    }
}
