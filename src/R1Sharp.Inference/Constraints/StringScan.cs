namespace R1Sharp.Inference.Constraints;

internal enum StringPhase : byte { BeforeQuote, Content, Escape, Unicode, Utf8 }

internal enum ScanResult : byte { Dead, Inside, Closed }

/// <summary>
/// The state of a JSON string terminal after a prefix of its bytes: the phase (before the opening quote, between
/// characters, after a backslash, inside \uXXXX, inside a multi-byte UTF-8 character) and the counts its length bounds
/// need. Only well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF) and JSON's escapes are accepted;
/// \u escapes of surrogates are refused (characters outside the BMP are written as UTF-8), so every string decodes
/// to valid UTF-16. Chars counts code points begun (a character counts against maxLength from its first byte);
/// Clusters counts code points that surely begin a grapheme cluster (<see cref="GraphemeClasses"/>), what minLength
/// needs. A state is only kept when the string can still be completed within its bounds.
/// </summary>
internal struct StringScan : IEquatable<StringScan>
{
    private const ulong FnvOffset = 14695981039346656037UL, FnvPrime = 1099511628211UL;

    public StringPhase Phase;
    public byte Pending;          // UTF-8 continuation bytes still expected
    public byte NextLo, NextHi;   // the range the next continuation byte must fall in
    public byte HexDigits;        // digits read after \u
    public bool PrevBlocks;       // the last character may join a following one into a cluster
    public int CodePoint;         // the character being decoded
    public int Chars;
    public int Clusters;
    public ulong KeyHash;         // FNV-1a over the decoded code points (keys only)

    /// <summary>Between characters, nothing read yet: the state right after the opening quote.</summary>
    public static StringScan Opened(bool isKey) => new() { Phase = StringPhase.Content, KeyHash = isKey ? FnvOffset : 0 };

    /// <summary>The key hash of a name (what a key string decodes to).</summary>
    public static ulong HashOf(string name)
    {
        ulong h = FnvOffset;
        for (int i = 0; i < name.Length; i++)
        {
            int cp = char.ConvertToUtf32(name, i);
            if (cp > 0xFFFF) i++;
            h = (h ^ (uint)cp) * FnvPrime;
        }
        return h;
    }

    /// <summary>Advances by one byte. Closed means the byte was the closing quote (the key check is the caller's).</summary>
    public ScanResult Step(byte b, StringSpec spec, GraphemeClasses graphemes)
    {
        switch (Phase)
        {
            case StringPhase.BeforeQuote:
                if (b != (byte)'"') return ScanResult.Dead;
                this = Opened(spec.IsKey);
                return ScanResult.Inside;
            case StringPhase.Content:
                if (b == (byte)'"') return Clusters >= spec.MinLength ? ScanResult.Closed : ScanResult.Dead;
                if (b < 0x20 || Chars >= spec.MaxLength) return ScanResult.Dead;
                Chars++;
                if (b < 0x80)
                {
                    if (b == (byte)'\\')
                    {
                        Phase = StringPhase.Escape;
                        return Feasible(spec) ? ScanResult.Inside : ScanResult.Dead;
                    }
                    Complete(b, spec, graphemes);
                    return Feasible(spec) ? ScanResult.Inside : ScanResult.Dead;
                }
                if (!StartUtf8(b)) return ScanResult.Dead;
                return Feasible(spec) ? ScanResult.Inside : ScanResult.Dead;
            case StringPhase.Utf8:
                if (b < NextLo || b > NextHi) return ScanResult.Dead;
                CodePoint = (CodePoint << 6) | (b & 0x3F);
                NextLo = 0x80;
                NextHi = 0xBF;
                if (--Pending == 0) Complete(CodePoint, spec, graphemes);
                return ScanResult.Inside; // completing never lowers the (pessimistic) potential: still feasible
            case StringPhase.Escape:
                int escaped = b switch
                {
                    (byte)'"' => '"', (byte)'\\' => '\\', (byte)'/' => '/', (byte)'b' => '\b', (byte)'f' => '\f',
                    (byte)'n' => '\n', (byte)'r' => '\r', (byte)'t' => '\t', _ => -1,
                };
                if (escaped >= 0)
                {
                    Complete(escaped, spec, graphemes);
                    return ScanResult.Inside;
                }
                if (b != (byte)'u') return ScanResult.Dead;
                Phase = StringPhase.Unicode;
                HexDigits = 0;
                CodePoint = 0;
                return ScanResult.Inside;
            case StringPhase.Unicode:
                int digit = b switch
                {
                    >= (byte)'0' and <= (byte)'9' => b - '0',
                    >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                    >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                    _ => -1,
                };
                if (digit < 0) return ScanResult.Dead;
                CodePoint = (CodePoint << 4) | digit;
                HexDigits++;
                if (HexDigits == 2 && CodePoint is >= 0xD8 and <= 0xDF) return ScanResult.Dead; // a surrogate
                if (HexDigits == 4) Complete(CodePoint, spec, graphemes);
                return ScanResult.Inside;
            default:
                return ScanResult.Dead;
        }
    }

    /// <summary>True when the string is between characters (no escape or UTF-8 sequence open).</summary>
    public readonly bool IsClean => Phase == StringPhase.Content;

    private bool StartUtf8(byte b)
    {
        Phase = StringPhase.Utf8;
        NextLo = 0x80;
        NextHi = 0xBF;
        switch (b)
        {
            case >= 0xC2 and <= 0xDF: Pending = 1; CodePoint = b & 0x1F; return true;
            case 0xE0: Pending = 2; CodePoint = b & 0x0F; NextLo = 0xA0; return true;
            case 0xED: Pending = 2; CodePoint = b & 0x0F; NextHi = 0x9F; return true;
            case >= 0xE1 and <= 0xEF: Pending = 2; CodePoint = b & 0x0F; return true;
            case 0xF0: Pending = 3; CodePoint = b & 0x07; NextLo = 0x90; return true;
            case >= 0xF1 and <= 0xF3: Pending = 3; CodePoint = b & 0x07; return true;
            case 0xF4: Pending = 3; CodePoint = b & 0x07; NextHi = 0x8F; return true;
            default: return false;
        }
    }

    private void Complete(int cp, StringSpec spec, GraphemeClasses graphemes)
    {
        if (!PrevBlocks && graphemes.CountsAlone(cp)) Clusters++;
        PrevBlocks = graphemes.BlocksNext(cp);
        if (spec.IsKey) KeyHash = (KeyHash ^ (uint)cp) * FnvPrime;
        Phase = StringPhase.Content;
        CodePoint = 0;
    }

    /// <summary>minLength can still be met within maxLength: each further character may add one cluster, except the
    /// first after a blocking or still-open character.</summary>
    public readonly bool Feasible(StringSpec spec)
    {
        if (Clusters >= spec.MinLength || spec.MaxLength == StringSpec.Unbounded) return true;
        int lost = Phase == StringPhase.Content && !PrevBlocks ? 0 : 1;
        return (long)Clusters + (spec.MaxLength - Chars) - lost >= spec.MinLength;
    }

    public readonly bool Equals(StringScan o) =>
        Phase == o.Phase && Pending == o.Pending && NextLo == o.NextLo && NextHi == o.NextHi && HexDigits == o.HexDigits &&
        PrevBlocks == o.PrevBlocks && CodePoint == o.CodePoint && Chars == o.Chars && Clusters == o.Clusters && KeyHash == o.KeyHash;

    public override readonly bool Equals(object? obj) => obj is StringScan o && Equals(o);

    public override readonly int GetHashCode() => HashCode.Combine(Phase, Chars, Clusters, CodePoint, KeyHash);
}
