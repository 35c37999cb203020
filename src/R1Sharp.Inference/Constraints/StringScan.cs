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
        foreach (var rune in name.EnumerateRunes()) h = (h ^ (uint)rune.Value) * FnvPrime; // (a lone surrogate, never generated, hashes as U+FFFD)
        return h;
    }

    /// <summary>Advances by one byte. Closed means the byte was the closing quote (the key check is the caller's).</summary>
    public ScanResult Step(byte b, StringSpec spec, GraphemeClasses graphemes)
    {
        if (!Read(b, spec, graphemes)) return ScanResult.Dead;
        if (Phase == StringPhase.BeforeQuote) return ScanResult.Closed;
        return Feasible(spec, graphemes) ? ScanResult.Inside : ScanResult.Dead;
    }

    /// <summary>The byte-level syntax; a closing quote leaves the phase at BeforeQuote.</summary>
    private bool Read(byte b, StringSpec spec, GraphemeClasses graphemes)
    {
        switch (Phase)
        {
            case StringPhase.BeforeQuote:
                if (b != (byte)'"') return false;
                this = Opened(spec.IsKey);
                return true;
            case StringPhase.Content:
                if (b == (byte)'"')
                {
                    if (Clusters < spec.MinLength) return false;
                    Phase = StringPhase.BeforeQuote;
                    return true;
                }
                if (b < 0x20 || Chars >= spec.MaxLength) return false;
                Chars++;
                if (b == (byte)'\\') Phase = StringPhase.Escape;
                else if (b < 0x80) Complete(b, spec, graphemes);
                else return StartUtf8(b);
                return true;
            case StringPhase.Utf8:
                if (b < NextLo || b > NextHi) return false;
                CodePoint = (CodePoint << 6) | (b & 0x3F);
                NextLo = 0x80;
                NextHi = 0xBF;
                if (--Pending == 0) Complete(CodePoint, spec, graphemes);
                return true;
            case StringPhase.Escape:
                int escaped = b switch
                {
                    (byte)'"' => '"', (byte)'\\' => '\\', (byte)'/' => '/', (byte)'b' => '\b', (byte)'f' => '\f',
                    (byte)'n' => '\n', (byte)'r' => '\r', (byte)'t' => '\t', _ => -1,
                };
                if (escaped >= 0)
                {
                    Complete(escaped, spec, graphemes);
                    return true;
                }
                if (b != (byte)'u') return false;
                Phase = StringPhase.Unicode;
                HexDigits = 0;
                CodePoint = 0;
                return true;
            case StringPhase.Unicode:
                int digit = b switch
                {
                    >= (byte)'0' and <= (byte)'9' => b - '0',
                    >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                    >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                    _ => -1,
                };
                if (digit < 0) return false;
                CodePoint = (CodePoint << 4) | digit;
                HexDigits++;
                if (HexDigits == 2 && CodePoint is >= 0xD8 and <= 0xDF) return false; // a surrogate
                if (HexDigits == 4) Complete(CodePoint, spec, graphemes);
                return true;
            default:
                return false;
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

    /// <summary>minLength can still be met within maxLength (<see cref="Slack"/>).</summary>
    public readonly bool Feasible(StringSpec spec, GraphemeClasses graphemes) =>
        Clusters >= spec.MinLength || spec.MaxLength == StringSpec.Unbounded || (long)spec.MaxLength + Slack(graphemes) >= spec.MinLength;

    /// <summary>
    /// The most clusters the string can still reach is maxLength + Slack: each further character adds at most one
    /// cluster for one character of budget, and appending 'a's achieves that except after a blocking character
    /// (-1); a character still open (UTF-8 bytes or an escape to come) adds the best its possible completions can
    /// (+1 counts and does not block, -1 does not count and blocks), known from the range of code points its bytes
    /// so far allow.
    /// </summary>
    public readonly int Slack(GraphemeClasses graphemes)
    {
        int settled = Clusters - Chars;
        switch (Phase)
        {
            case StringPhase.Utf8:
                int rest = 6 * (Pending - 1);
                int lo = ((CodePoint << 6) | (NextLo & 0x3F)) << rest;
                int hi = (((CodePoint << 6) | (NextHi & 0x3F)) << rest) | ((1 << rest) - 1);
                return settled + graphemes.BestCompletion(lo, hi, PrevBlocks);
            case StringPhase.Escape:
                return settled + (PrevBlocks ? 0 : 1); // \" completes it: counts unless blocked, never blocks
            case StringPhase.Unicode:
                int shift = 4 * (4 - HexDigits);
                return settled + graphemes.BestCompletion(CodePoint << shift, ((CodePoint + 1) << shift) - 1, PrevBlocks);
            default:
                return settled - (PrevBlocks ? 1 : 0);
        }
    }

    public readonly bool Equals(StringScan o) =>
        Phase == o.Phase && Pending == o.Pending && NextLo == o.NextLo && NextHi == o.NextHi && HexDigits == o.HexDigits &&
        PrevBlocks == o.PrevBlocks && CodePoint == o.CodePoint && Chars == o.Chars && Clusters == o.Clusters && KeyHash == o.KeyHash;

    public override readonly bool Equals(object? obj) => obj is StringScan o && Equals(o);

    public override readonly int GetHashCode() => HashCode.Combine(Phase, Chars, Clusters, CodePoint, KeyHash);
}
