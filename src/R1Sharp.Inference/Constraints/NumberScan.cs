namespace R1Sharp.Inference.Constraints;

internal enum NumberPhase : byte { Start, Minus, Int, Dot, Frac }

/// <summary>
/// The state of a number terminal after a prefix: sign, integer digits, fraction digits. A state is kept only while
/// some completion lies within the bounds: the completions of a prefix form at most MaxIntDigits+1 intervals of grid
/// values (one per count of further integer digits), each tested exactly against [Lo, Hi]. Negative zero is never a
/// complete value.
/// </summary>
internal struct NumberScan : IEquatable<NumberScan>
{
    public NumberPhase Phase;
    public bool Negative;
    public bool LeadingZero;
    public byte IntDigits;
    public byte FracDigits;
    public long IntValue;
    public long FracValue;

    /// <summary>Advances by one byte; false when the byte cannot continue the number within its bounds.</summary>
    public bool Step(byte b, NumberSpec spec)
    {
        int d = b - '0';
        bool digit = (uint)d <= 9;
        switch (Phase)
        {
            case NumberPhase.Start when b == (byte)'-':
                Phase = NumberPhase.Minus;
                Negative = true;
                break;
            case NumberPhase.Start or NumberPhase.Minus when digit:
                Phase = NumberPhase.Int;
                IntDigits = 1;
                IntValue = d;
                LeadingZero = d == 0;
                break;
            case NumberPhase.Int when digit:
                if (LeadingZero || IntDigits >= spec.MaxIntDigits) return false;
                IntValue = IntValue * 10 + d;
                IntDigits++;
                break;
            case NumberPhase.Int when b == (byte)'.' && !spec.IsInteger:
                Phase = NumberPhase.Dot;
                break;
            case NumberPhase.Dot when digit:
                Phase = NumberPhase.Frac;
                FracDigits = 1;
                FracValue = d;
                break;
            case NumberPhase.Frac when digit:
                if (FracDigits >= spec.FractionDigits) return false;
                FracValue = FracValue * 10 + d;
                FracDigits++;
                break;
            default:
                return false;
        }
        return Viable(spec);
    }

    /// <summary>The text so far is a number within the bounds.</summary>
    public readonly bool IsComplete(NumberSpec spec)
    {
        if (Phase is not (NumberPhase.Int or NumberPhase.Frac)) return false;
        Int128 magnitude = IntValue * spec.Scale + (Phase == NumberPhase.Frac ? FracValue * NumberSpec.Pow10(spec.FractionDigits - FracDigits) : 0);
        if (Negative && magnitude == 0) return false;
        Int128 v = Negative ? -magnitude : magnitude;
        return v >= spec.Lo && v <= spec.Hi;
    }

    /// <summary>Some byte can follow within the number.</summary>
    public readonly bool CanExtend(NumberSpec spec)
    {
        for (byte b = (byte)'0'; b <= (byte)'9'; b++)
        {
            var next = this;
            if (next.Step(b, spec)) return true;
        }
        if (Phase == NumberPhase.Int && !spec.IsInteger)
        {
            var next = this;
            if (next.Step((byte)'.', spec)) return true;
        }
        if (Phase == NumberPhase.Start)
        {
            var next = this;
            if (next.Step((byte)'-', spec)) return true;
        }
        return false;
    }

    private readonly bool Viable(NumberSpec spec)
    {
        Int128 s = spec.Scale;
        switch (Phase)
        {
            case NumberPhase.Start:
            case NumberPhase.Minus:
                return Hits(0, spec.MaxMagnitude, spec);
            case NumberPhase.Int:
                if (LeadingZero) return Hits(0, s - 1, spec);
                Int128 v = IntValue;
                for (int k = 0; k <= spec.MaxIntDigits - IntDigits; k++)
                {
                    Int128 p = NumberSpec.Pow10(k) * s;
                    // integers: s = 1 and the interval holds v followed by k digits; numbers: also any fraction
                    if (Hits(v * p, (v + 1) * p - 1, spec)) return true;
                }
                return false;
            case NumberPhase.Dot:
                return Hits(IntValue * s, (IntValue + 1) * s - 1, spec);
            default:
                Int128 unit = NumberSpec.Pow10(spec.FractionDigits - FracDigits);
                Int128 low = IntValue * s + FracValue * unit;
                return Hits(low, low + unit - 1, spec);
        }
    }

    /// <summary>Whether some magnitude in [a, b], with this sign, lies within the bounds (negative zero excluded).</summary>
    private readonly bool Hits(Int128 a, Int128 b, NumberSpec spec)
    {
        if (Negative)
        {
            if (b < 1) return false;
            if (a < 1) a = 1;
            return -a >= spec.Lo && -b <= spec.Hi;
        }
        return b >= spec.Lo && a <= spec.Hi;
    }

    public readonly bool Equals(NumberScan o) =>
        Phase == o.Phase && Negative == o.Negative && LeadingZero == o.LeadingZero && IntDigits == o.IntDigits &&
        FracDigits == o.FracDigits && IntValue == o.IntValue && FracValue == o.FracValue;

    public override readonly bool Equals(object? obj) => obj is NumberScan o && Equals(o);

    public override readonly int GetHashCode() => HashCode.Combine(Phase, Negative, IntDigits, FracDigits, IntValue, FracValue);
}
