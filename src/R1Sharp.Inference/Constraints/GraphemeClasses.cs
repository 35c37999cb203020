using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace R1Sharp.Inference.Constraints;

/// <summary>
/// What a string's minLength may count. JSON Schema counts code points; validators built on .NET (JsonSchema.Net) count
/// grapheme clusters (StringInfo text elements), which is never more. A code point is counted only when it surely begins
/// a new cluster whatever the rest of the text, so minLength holds under both definitions. The classes come from .NET's
/// own segmentation (UAX #29), probed on two- and three-character strings and memoized per code point:
/// joinsPrevious: "a"+c is one cluster (Extend, ZWJ, SpacingMark); joinsItself: c+c is one cluster (regional
/// indicators, Hangul jamo); joinsNext: c+"a" is one cluster (Prepend). A code point counts unless it joins the previous
/// or itself, or the previous one "blocks" (it joins the previous, joins the next, is Hangul or is CR), which covers
/// the rules that look further back (emoji ZWJ sequences, Indic conjuncts, flag pairs).
/// Thread-safe: races only write the same value.
/// </summary>
internal sealed class GraphemeClasses
{
    private const byte Known = 1, Counts = 2, Blocks = 4;
    private readonly byte[] _classes = new byte[0x110000];
    private readonly ConcurrentDictionary<(int, int), (sbyte Free, sbyte Blocked)> _best = new();

    /// <summary>One memo for the process (a pure function of the runtime's Unicode data).</summary>
    public static GraphemeClasses Shared { get; } = new();

    /// <summary>Whether <paramref name="codePoint"/> surely starts a cluster when the previous code point does not block.</summary>
    public bool CountsAlone(int codePoint) => (Get(codePoint) & Counts) != 0;

    /// <summary>Whether a code point after <paramref name="codePoint"/> might not start a cluster.</summary>
    public bool BlocksNext(int codePoint) => (Get(codePoint) & Blocks) != 0;

    /// <summary>The best a code point in [lo, hi] (surrogates excluded) can do for the cluster count: counted (when
    /// the previous character does not block) minus blocking the next, so +1, 0 or -1. Memoized per range; the scan
    /// stops at the first code point reaching the maximum, which ordinary ranges have near their start.</summary>
    public int BestCompletion(int lo, int hi, bool prevBlocks)
    {
        var best = _best.GetOrAdd((lo, hi), static (range, self) =>
        {
            int free = -1, blocked = -1;
            for (int cp = range.Item1; cp <= range.Item2 && (free < 1 || blocked < 0); cp++)
            {
                if (cp is >= 0xD800 and <= 0xDFFF) continue;
                byte c = self.Get(cp);
                int blocks = (c & Blocks) != 0 ? 1 : 0;
                free = Math.Max(free, ((c & Counts) != 0 ? 1 : 0) - blocks);
                blocked = Math.Max(blocked, -blocks);
            }
            return ((sbyte)free, (sbyte)blocked);
        }, this);
        return prevBlocks ? best.Blocked : best.Free;
    }

    private byte Get(int cp)
    {
        byte c = _classes[cp];
        if (c != 0) return c;
        c = Classify(cp);
        _classes[cp] = c;
        return c;
    }

    private static byte Classify(int cp)
    {
        if (cp is >= 0xD800 and <= 0xDFFF) return Known | Blocks; // never produced (surrogate escapes are not generated)
        Span<char> buf = stackalloc char[4];
        int n = new Rune(cp).EncodeToUtf16(buf);
        bool joinsPrevious = Clusters(buf, n, prefix: 'a') == 1;
        bool joinsItself = ClustersDoubled(buf, n) == 1;
        bool joinsNext = Clusters(buf, n, suffix: 'a') == 1;
        bool hangul = cp is >= 0x1100 and <= 0x11FF or >= 0xA960 and <= 0xA97F or >= 0xAC00 and <= 0xD7FF;
        byte c = Known;
        if (!joinsPrevious && !joinsItself) c |= Counts;
        if (joinsPrevious || joinsNext || hangul || cp == '\r') c |= Blocks;
        return c;
    }

    private static int Clusters(ReadOnlySpan<char> units, int n, char prefix = '\0', char suffix = '\0')
    {
        Span<char> s = stackalloc char[6];
        int len = 0;
        if (prefix != '\0') s[len++] = prefix;
        units[..n].CopyTo(s[len..]);
        len += n;
        if (suffix != '\0') s[len++] = suffix;
        return CountClusters(s[..len]);
    }

    private static int ClustersDoubled(ReadOnlySpan<char> units, int n)
    {
        Span<char> s = stackalloc char[8];
        units[..n].CopyTo(s);
        units[..n].CopyTo(s[n..]);
        return CountClusters(s[..(2 * n)]);
    }

    private static int CountClusters(ReadOnlySpan<char> s)
    {
        int count = 0;
        while (!s.IsEmpty)
        {
            s = s[StringInfo.GetNextTextElementLength(s)..];
            count++;
        }
        return count;
    }
}
