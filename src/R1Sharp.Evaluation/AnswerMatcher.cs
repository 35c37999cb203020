using System.Globalization;
using System.Text.RegularExpressions;

namespace R1Sharp.Evaluation;

/// <summary>Exact-match scoring with normalization: numbers compare by value ("1,000" = "1000.0" = "$1000",
/// "\frac{1}{2}" = "0.5" = "1/2"), other answers compare as LaTeX strings after removing formatting that does not
/// change the meaning (spaces, \left/\right, \dfrac, \text{}, degree signs, a trailing period, ...).</summary>
public static partial class AnswerMatcher
{
    [GeneratedRegex(@"^\\(?:d|t)?frac\{(-?\d+)\}\{(-?\d+)\}$")]
    private static partial Regex LatexFraction();

    [GeneratedRegex(@"^\\(?:d|t)?frac(\d)(\d)$")]
    private static partial Regex ShortFraction();

    [GeneratedRegex(@"\\text\{\s*([^{}]*)\}")]
    private static partial Regex TextBlock();

    [GeneratedRegex(@"\\(?:mbox|mathrm|textbf|mathbf)\{([^{}]*)\}")]
    private static partial Regex OtherTextBlock();

    [GeneratedRegex(@"^[a-zA-Z]\s*=\s*")]
    private static partial Regex VariablePrefix();

    /// <summary>True when <paramref name="predicted"/> states the same answer as <paramref name="gold"/>.</summary>
    public static bool IsMatch(string? predicted, string? gold)
    {
        if (predicted is null || gold is null) return false;
        string p = Normalize(predicted), g = Normalize(gold);
        if (p.Length == 0) return false;
        if (p == g) return true;
        double? pv = TryNumber(p), gv = TryNumber(g);
        if (pv is double a && gv is double b)
            return a == b || Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Max(Math.Abs(a), Math.Abs(b)));
        return false;
    }

    /// <summary>A canonical string for an answer; equal strings are equal answers (used for majority voting,
    /// where numbers are further canonicalized by <see cref="VoteKey"/>).</summary>
    public static string Normalize(string answer)
    {
        string s = answer.Trim();
        s = s.Replace("\n", "").Replace("\\!", "").Replace("\\,", "").Replace("\\;", "").Replace("\\ ", "");
        s = s.Replace("\\left", "").Replace("\\right", "").Replace("\\displaystyle", "");
        s = s.Replace("\\dfrac", "\\frac").Replace("\\tfrac", "\\frac");
        s = s.Replace("^{\\circ}", "").Replace("^\\circ", "").Replace("°", "");
        s = s.Replace("\\$", "").Replace("$", "").Replace("\\%", "").Replace("%", "");
        s = TextBlock().Replace(s, "$1");
        s = OtherTextBlock().Replace(s, "$1");
        s = s.Replace(" ", "");
        s = VariablePrefix().Replace(s, "");   // "x=5" -> "5"
        while (s.EndsWith('.')) s = s[..^1];
        if (s.StartsWith('{') && s.EndsWith('}') && Balanced(s[1..^1])) s = s[1..^1];
        // Numbers: drop thousands separators ("1,000") but not commas of tuples ("(1,2)").
        if (IsGroupedNumber(s)) s = s.Replace(",", "");
        var m = ShortFraction().Match(s);
        if (m.Success) s = $"\\frac{{{m.Groups[1].Value}}}{{{m.Groups[2].Value}}}";
        return s;
    }

    /// <summary>The key answers are grouped by when voting: a number's canonical value, else the normalized text.</summary>
    public static string VoteKey(string answer)
    {
        string n = Normalize(answer);
        return TryNumber(n) is double v ? "#" + v.ToString("R", CultureInfo.InvariantCulture) : n;
    }

    /// <summary>The value of a normalized number: integer, decimal, "a/b" or "\frac{a}{b}"; null otherwise.</summary>
    public static double? TryNumber(string s)
    {
        if (double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v))
            return v;
        var m = LatexFraction().Match(s);
        string? num = null, den = null;
        if (m.Success) { num = m.Groups[1].Value; den = m.Groups[2].Value; }
        else if (s.Count(c => c == '/') == 1)
        {
            string[] parts = s.Split('/');
            num = parts[0]; den = parts[1];
        }
        else if (s.StartsWith("-\\frac", StringComparison.Ordinal) && TryNumber(s[1..]) is double neg) return -neg;
        if (num != null && den != null
            && double.TryParse(num, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double a)
            && double.TryParse(den, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double b)
            && b != 0)
            return a / b;
        return null;
    }

    private static bool IsGroupedNumber(string s)
    {
        if (!s.Contains(',')) return false;
        string t = s.StartsWith('-') ? s[1..] : s;
        string[] groups = t.Split('.')[0].Split(',');
        if (groups[0].Length is < 1 or > 3 || !groups[0].All(char.IsAsciiDigit)) return false;
        for (int i = 1; i < groups.Length; i++)
            if (groups[i].Length != 3 || !groups[i].All(char.IsAsciiDigit)) return false;
        return t.Split('.').Length <= 2 && (t.Split('.').Length == 1 || t.Split('.')[1].All(char.IsAsciiDigit));
    }

    private static bool Balanced(string s)
    {
        int depth = 0;
        foreach (char c in s)
        {
            if (c == '{') depth++;
            else if (c == '}' && --depth < 0) return false;
        }
        return depth == 0;
    }
}
