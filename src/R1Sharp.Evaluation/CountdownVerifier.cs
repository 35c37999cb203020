using System.Globalization;
using System.Numerics;
using System.Text;

namespace R1Sharp.Evaluation;

/// <summary>Why a Countdown answer was accepted or rejected.</summary>
public enum CountdownVerdict
{
    Correct,
    /// <summary>No answer was given.</summary>
    Missing,
    /// <summary>Not an arithmetic expression over whole numbers with + - * / and parentheses.</summary>
    Malformed,
    /// <summary>The numbers used are not exactly the given ones, each once (a number missing, reused or not given).</summary>
    WrongNumbers,
    DivisionByZero,
    /// <summary>A division whose result is not a whole number (the puzzle allows division only where exact).</summary>
    InexactDivision,
    /// <summary>A valid expression whose value is not the target.</summary>
    WrongValue,
}

/// <summary>The outcome of <see cref="CountdownVerifier.Check(string, CountdownPuzzle, bool)"/>: the verdict, the value when the expression could be
/// evaluated (numerator/denominator, exact) and a one-line reason.</summary>
public sealed record CountdownCheck(CountdownVerdict Verdict, BigInteger? Numerator, BigInteger? Denominator, string Reason)
{
    public bool IsCorrect => Verdict == CountdownVerdict.Correct;
}

/// <summary>A Countdown puzzle: make <see cref="Target"/> from <see cref="Numbers"/>, each used exactly once.</summary>
public sealed record CountdownPuzzle(IReadOnlyList<int> Numbers, long Target)
{
    /// <summary>Reads the puzzle from the task's wording: "Using the numbers 3, 7, 25, make 46. ..." (anywhere in the
    /// text, so a prompt rendered by a chat template works too); null when the text does not contain it.</summary>
    public static CountdownPuzzle? TryParse(string question)
    {
        const string Head = "Using the numbers ";
        int i = question.IndexOf(Head, StringComparison.Ordinal);
        if (i < 0) return null;
        int make = question.IndexOf(", make ", i, StringComparison.Ordinal);
        if (make < 0) return null;
        var numbers = new List<int>();
        foreach (string part in question[(i + Head.Length)..make].Split(','))
        {
            if (!int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n)) return null;
            numbers.Add(n);
        }
        int start = make + ", make ".Length, end = start;
        while (end < question.Length && char.IsAsciiDigit(question[end])) end++;
        if (end == start || !long.TryParse(question[start..end], NumberStyles.None, CultureInfo.InvariantCulture, out long target)) return null;
        return numbers.Count == 0 ? null : new CountdownPuzzle(numbers, target);
    }
}

/// <summary>
/// Checks a Countdown answer: an expression with + - * / and parentheses that uses each given number exactly once
/// (no other numbers, no unary minus, no juxtaposition) and equals the target, evaluated with exact rational
/// arithmetic. Division must be exact (a whole-number result) unless <c>allowFractions</c> is set, in which case
/// fractional intermediate results such as (7 / 2) * 4 are accepted. Writing conveniences are normalized: unicode
/// minus and dashes, × · ÷, LaTeX \times \cdot \div \left \right, brackets, a trailing period, and a trailing
/// "= target" (or a leading "target =").
/// </summary>
public static class CountdownVerifier
{
    public static CountdownCheck Check(string? answer, CountdownPuzzle puzzle, bool allowFractions = false) =>
        Check(answer, puzzle.Numbers, puzzle.Target, allowFractions);

    public static CountdownCheck Check(string? answer, IReadOnlyList<int> numbers, long target, bool allowFractions = false)
    {
        if (string.IsNullOrWhiteSpace(answer)) return Fail(CountdownVerdict.Missing, "no answer");
        string text = Normalize(answer);
        // "expr = 46" or "46 = expr": the side that is the bare target goes.
        string[] sides = text.Split('=');
        if (sides.Length > 2) return Fail(CountdownVerdict.Malformed, "more than one '='");
        if (sides.Length == 2)
        {
            bool leftIsTarget = IsNumber(sides[0], target), rightIsTarget = IsNumber(sides[1], target);
            if (rightIsTarget) text = sides[0];
            else if (leftIsTarget) text = sides[1];
            else return Fail(CountdownVerdict.Malformed, "an '=' that does not state the target");
        }
        List<Token> tokens;
        try { tokens = Tokenize(text); }
        catch (FormatException e) { return Fail(CountdownVerdict.Malformed, e.Message); }
        if (tokens.Count == 0) return Fail(CountdownVerdict.Missing, "no answer");

        // Pass 1: the syntax and the numbers used; pass 2: the value (so a wrong set of numbers is reported as such
        // even when it also divides by zero).
        var syntax = new Parser(tokens, allowFractions, evaluate: false);
        try
        {
            syntax.ParseExpression();
            if (syntax.Position != tokens.Count) throw new FormatException($"unexpected '{tokens[syntax.Position].Text}'");
        }
        catch (FormatException e) { return Fail(CountdownVerdict.Malformed, e.Message); }
        var given = numbers.Select(n => (BigInteger)n).Order().ToList();
        var used = syntax.Numbers.Order().ToList();
        if (!given.SequenceEqual(used))
            return Fail(CountdownVerdict.WrongNumbers, $"uses {string.Join(", ", used)}; the numbers are {string.Join(", ", given)}, each exactly once");

        Fraction value;
        try { value = new Parser(tokens, allowFractions, evaluate: true).ParseExpression(); }
        catch (DivideByZeroException) { return Fail(CountdownVerdict.DivisionByZero, "division by zero"); }
        catch (ArithmeticException e) { return Fail(CountdownVerdict.InexactDivision, e.Message); }
        if (value.Den != 1 || value.Num != target)
            return new CountdownCheck(CountdownVerdict.WrongValue, value.Num, value.Den, $"makes {value}, not {target}");
        return new CountdownCheck(CountdownVerdict.Correct, value.Num, value.Den, $"makes {target}");
    }

    private static CountdownCheck Fail(CountdownVerdict verdict, string reason) => new(verdict, null, null, reason);

    private static bool IsNumber(string s, long value) =>
        long.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v == value;

    private static string Normalize(string s)
    {
        var sb = new StringBuilder(s.Trim());
        foreach (var (from, to) in (ReadOnlySpan<(string, string)>)[
            ("\\left", ""), ("\\right", ""), ("\\times", "*"), ("\\cdot", "*"), ("\\div", "/"), ("\\(", ""), ("\\)", ""),
            ("\\[", ""), ("\\]", ""), ("$", "")])
            sb.Replace(from, to);
        for (int i = 0; i < sb.Length; i++)
            sb[i] = sb[i] switch
            {
                '\u2212' or '\u2013' or '\u2014' or '\u2012' or '\uFE63' or '\uFF0D' => '-',
                '×' or '·' or '\u22C5' or '\u2217' => '*',
                '÷' or '\u2215' => '/',
                '[' or '{' => '(',
                ']' or '}' => ')',
                '\u00A0' or '\u2009' or '\u202F' => ' ',
                _ => sb[i],
            };
        string t = sb.ToString().Trim();
        while (t.EndsWith('.')) t = t[..^1].TrimEnd();
        return t;
    }

    private readonly record struct Token(char Kind, BigInteger Value, string Text);   // Kind: 'n' number or the operator/paren

    private static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>();
        for (int i = 0; i < s.Length;)
        {
            char c = s[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (char.IsAsciiDigit(c))
            {
                int j = i;
                while (j < s.Length && char.IsAsciiDigit(s[j])) j++;
                if (j < s.Length && (s[j] == '.' || s[j] == ',') && j + 1 < s.Length && char.IsAsciiDigit(s[j + 1]))
                    throw new FormatException($"'{s[i..(j + 2)]}...' is not a whole number");
                tokens.Add(new Token('n', BigInteger.Parse(s.AsSpan(i, j - i), CultureInfo.InvariantCulture), s[i..j]));
                i = j;
                continue;
            }
            if (c is '+' or '-' or '*' or '/' or '(' or ')') { tokens.Add(new Token(c, default, c.ToString())); i++; continue; }
            throw new FormatException($"unexpected '{c}'");
        }
        return tokens;
    }

    /// <summary>Recursive descent: expression = term (('+'|'-') term)*; term = factor (('*'|'/') factor)*;
    /// factor = number | '(' expression ')'.</summary>
    private sealed class Parser(List<Token> tokens, bool allowFractions, bool evaluate)
    {
        public int Position;
        public List<BigInteger> Numbers { get; } = [];

        public Fraction ParseExpression()
        {
            var v = ParseTerm();
            while (Position < tokens.Count && tokens[Position].Kind is '+' or '-')
            {
                char op = tokens[Position++].Kind;
                var r = ParseTerm();
                if (evaluate) v = op == '+' ? v + r : v - r;
            }
            return v;
        }

        private Fraction ParseTerm()
        {
            var v = ParseFactor();
            while (Position < tokens.Count && tokens[Position].Kind is '*' or '/')
            {
                char op = tokens[Position++].Kind;
                var r = ParseFactor();
                if (!evaluate) continue;
                if (op == '*') { v *= r; continue; }
                if (r.Num.IsZero) throw new DivideByZeroException();
                var q = v / r;
                if (!allowFractions && q.Den != 1) throw new ArithmeticException($"{v} / {r} is not a whole number");
                v = q;
            }
            return v;
        }

        private Fraction ParseFactor()
        {
            if (Position >= tokens.Count) throw new FormatException("the expression ends too early");
            var t = tokens[Position++];
            if (t.Kind == 'n')
            {
                Numbers.Add(t.Value);
                if (Position < tokens.Count && tokens[Position].Kind is 'n' or '(') throw new FormatException($"a number or '(' right after {t.Text}");
                return new Fraction(t.Value, 1);
            }
            if (t.Kind == '(')
            {
                var v = ParseExpression();
                if (Position >= tokens.Count || tokens[Position].Kind != ')') throw new FormatException("unbalanced parentheses");
                Position++;
                if (Position < tokens.Count && tokens[Position].Kind is 'n' or '(') throw new FormatException("a number or '(' right after ')'");
                return v;
            }
            throw new FormatException(t.Kind is '+' or '-' ? $"a sign ('{t.Text}') where a number belongs" : $"unexpected '{t.Text}'");
        }
    }

    /// <summary>An exact rational number, always reduced, denominator positive.</summary>
    private readonly record struct Fraction
    {
        public BigInteger Num { get; }
        public BigInteger Den { get; }

        public Fraction(BigInteger num, BigInteger den)
        {
            if (den.IsZero) throw new DivideByZeroException();
            if (den.Sign < 0) { num = -num; den = -den; }
            var g = BigInteger.GreatestCommonDivisor(num, den);
            if (!g.IsZero && !g.IsOne) { num /= g; den /= g; }
            Num = num; Den = den;
        }

        public static Fraction operator +(Fraction a, Fraction b) => new(a.Num * b.Den + b.Num * a.Den, a.Den * b.Den);
        public static Fraction operator -(Fraction a, Fraction b) => new(a.Num * b.Den - b.Num * a.Den, a.Den * b.Den);
        public static Fraction operator *(Fraction a, Fraction b) => new(a.Num * b.Num, a.Den * b.Den);
        public static Fraction operator /(Fraction a, Fraction b) => new(a.Num * b.Den, a.Den * b.Num);

        public override string ToString() => Den.IsOne ? Num.ToString(CultureInfo.InvariantCulture) : $"{Num}/{Den}";
    }
}
