namespace R1Sharp.Inference.Constraints;

/// <summary>How JSON text is generated under a schema (see docs/structured-outputs.md).</summary>
public sealed record JsonGrammarOptions
{
    /// <summary>Whitespace allowed at each place JSON allows it (before the value, around ':' and ',', inside brackets):
    /// up to this many of space, tab, newline and carriage return. 0 forces compact JSON. Bounded so that a model cannot
    /// loop on blanks.</summary>
    public int MaxWhitespace { get; init; } = 24;

    /// <summary>Objects and arrays nest at most this deep (the root object is depth 1). Recursive schemas are unrolled to
    /// this depth; parsers commonly stop at 64.</summary>
    public int MaxNestingDepth { get; init; } = 20;

    /// <summary>Digits of an integer part when the schema gives no larger bound: values stay below 10^15 in magnitude, so
    /// every integer is exact as a double.</summary>
    public int MaxIntegerDigits { get; init; } = 15;

    /// <summary>Digits after the decimal point of a non-integer number; bounds are enforced exactly on this grid.</summary>
    public int MaxFractionDigits { get; init; } = 12;

    /// <summary>A larger maxItems is lowered to this (arrays stay valid, only shorter) and a larger minItems is rejected:
    /// counted items are unrolled into the grammar. Without maxItems arrays are unbounded.</summary>
    public int MaxUnrolledItems { get; init; } = 1024;

    public static JsonGrammarOptions Default { get; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxWhitespace);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxWhitespace, 256);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxNestingDepth, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxNestingDepth, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxIntegerDigits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxIntegerDigits, 18);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxFractionDigits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFractionDigits, 18);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxUnrolledItems, 1);
    }
}
