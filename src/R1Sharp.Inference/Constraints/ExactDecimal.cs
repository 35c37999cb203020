using System.Globalization;
using System.Numerics;

namespace R1Sharp.Inference.Constraints;

/// <summary>A JSON number text as an exact decimal, Mantissa * 10^Exponent, for comparisons that must not round.</summary>
internal readonly record struct ExactDecimal(BigInteger Mantissa, int Exponent) : IComparable<ExactDecimal>
{
    /// <summary>Parses JSON number syntax (sign, digits, optional fraction and exponent).</summary>
    public static ExactDecimal Parse(string text)
    {
        string s = text.Trim();
        int e = s.IndexOfAny(['e', 'E']);
        long exp = 0;
        if (e >= 0)
        {
            exp = long.Parse(s[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            s = s[..e];
        }
        bool neg = s.StartsWith('-');
        if (neg) s = s[1..];
        int dot = s.IndexOf('.');
        if (dot >= 0)
        {
            exp -= s.Length - dot - 1;
            s = s.Remove(dot, 1);
        }
        if (s.Length == 0 || Math.Abs(exp) > 100_000) throw new FormatException($"'{text}' is not a usable JSON number");
        var mant = BigInteger.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);
        return new ExactDecimal(neg ? -mant : mant, (int)exp).Normalized();
    }

    private ExactDecimal Normalized()
    {
        if (Mantissa.IsZero) return new ExactDecimal(BigInteger.Zero, 0);
        var m = Mantissa;
        int e = Exponent;
        while (true)
        {
            var q = BigInteger.DivRem(m, 10, out var r);
            if (!r.IsZero) break;
            m = q;
            e++;
        }
        return new ExactDecimal(m, e);
    }

    public bool IsInteger => Exponent >= 0;

    /// <summary>floor(value * 10^digits) (ceiling when <paramref name="ceiling"/>).</summary>
    public BigInteger Scaled(int digits, bool ceiling)
    {
        int e = Exponent + digits;
        if (e >= 0) return Mantissa * BigInteger.Pow(10, e);
        var den = BigInteger.Pow(10, -e);
        var q = BigInteger.DivRem(Mantissa, den, out var r);
        if (r.IsZero) return q;
        if (ceiling) return r.Sign > 0 ? q + 1 : q;
        return r.Sign < 0 ? q - 1 : q;
    }

    public int CompareTo(ExactDecimal other)
    {
        int e = Math.Min(Exponent, other.Exponent);
        var a = Mantissa * BigInteger.Pow(10, Exponent - e);
        var b = other.Mantissa * BigInteger.Pow(10, other.Exponent - e);
        return a.CompareTo(b);
    }

    /// <summary>A canonical text: equal values, equal texts (1, 1.0 and 10e-1 all give "1e0").</summary>
    public override string ToString() => Mantissa.ToString(CultureInfo.InvariantCulture) + "e" + Exponent.ToString(CultureInfo.InvariantCulture);
}
