using System.Globalization;
using System.Numerics;

namespace R1Sharp.Inference.Constraints;

/// <summary>
/// A JSON number terminal: <c>-?(0|[1-9][0-9]*)</c>, for non-integers followed by an optional <c>.[0-9]+</c>; no
/// exponent. Values live on a grid of 10^-FractionDigits (1 for integers) and are compared as exact scaled integers
/// with the bounds, which are rounded inwards onto the grid (exclusive bounds become the next grid point inside), so
/// every value generated satisfies the schema's bounds exactly. Magnitudes stay below 10^MaxIntDigits.
/// </summary>
internal sealed class NumberSpec
{
    private static readonly Int128[] s_pow10 = BuildPowers();

    private NumberSpec(int fractionDigits, int maxIntDigits, Int128 lo, Int128 hi)
    {
        FractionDigits = fractionDigits;
        MaxIntDigits = maxIntDigits;
        Lo = lo;
        Hi = hi;
        Scale = s_pow10[fractionDigits];
        MaxMagnitude = s_pow10[maxIntDigits] * Scale - 1;
    }

    /// <summary>0 for integers: no '.' then.</summary>
    public int FractionDigits { get; }
    public int MaxIntDigits { get; }
    /// <summary>Inclusive bounds in grid units (value * 10^FractionDigits).</summary>
    public Int128 Lo { get; }
    public Int128 Hi { get; }
    public Int128 Scale { get; }
    public Int128 MaxMagnitude { get; }
    public bool IsInteger => FractionDigits == 0;

    public static Int128 Pow10(int n) => s_pow10[n];

    /// <summary>A number terminal for the given bounds (null when absent); null when no value on the grid satisfies them.</summary>
    public static NumberSpec? Create(bool integer, JsonGrammarOptions options,
        ExactDecimal? minimum, ExactDecimal? maximum, ExactDecimal? exclusiveMinimum, ExactDecimal? exclusiveMaximum)
    {
        int f = integer ? 0 : options.MaxFractionDigits;
        BigInteger? lo = null, hi = null;
        void Lower(BigInteger v) => lo = lo is { } cur ? BigInteger.Max(cur, v) : v;
        void Upper(BigInteger v) => hi = hi is { } cur ? BigInteger.Min(cur, v) : v;
        if (minimum is { } min) Lower(min.Scaled(f, ceiling: true));
        if (exclusiveMinimum is { } xmin) Lower(xmin.Scaled(f, ceiling: false) + 1);
        if (maximum is { } max) Upper(max.Scaled(f, ceiling: false));
        if (exclusiveMaximum is { } xmax) Upper(xmax.Scaled(f, ceiling: true) - 1);

        // Widen the digit budget to what finite bounds need (up to 18 digits), then clamp the bounds into it.
        BigInteger scale = BigInteger.Pow(10, f);
        int digits = options.MaxIntegerDigits;
        foreach (BigInteger? b in new[] { lo, hi })
            if (b is { } v)
                digits = Math.Max(digits, Math.Min(18, BigInteger.Abs(v / scale).ToString(CultureInfo.InvariantCulture).Length));
        BigInteger maxMag = BigInteger.Pow(10, digits) * scale - 1;
        BigInteger l = BigInteger.Max(lo ?? -maxMag, -maxMag), h = BigInteger.Min(hi ?? maxMag, maxMag);
        if (l > h) return null;
        return new NumberSpec(f, digits, (Int128)l, (Int128)h);
    }

    private static Int128[] BuildPowers()
    {
        var p = new Int128[39];
        p[0] = 1;
        for (int i = 1; i < p.Length; i++) p[i] = p[i - 1] * 10;
        return p;
    }
}
