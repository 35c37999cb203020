using System.Text;

namespace R1Sharp.Tokenization.Templates;

/// <summary>Python's str operations that both filters and str methods use: strip, split, splitlines, replace,
/// title, capitalize, center, format.</summary>
internal static class PyString
{
    public static string Strip(string s, string? chars, bool left, bool right)
    {
        Func<char, bool> strip = chars == null ? JinjaLexer.IsPyWhitespace : c => chars.Contains(c);
        int a = 0, b = s.Length;
        if (left) while (a < b && strip(s[a])) a++;
        if (right) while (b > a && strip(s[b - 1])) b--;
        return s[a..b];
    }

    /// <summary>str.splitlines(): every Unicode line boundary Python knows; \r\n counts once.</summary>
    public static List<string> SplitLines(string s)
    {
        var lines = new Pieces();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')
            {
                lines.Add(s[start..i]);
                if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
                start = i + 1;
            }
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    /// <summary>str.split / str.rsplit: without a separator, runs of whitespace separate and the ends give no empty strings.</summary>
    public static List<object?> Split(string s, string? sep, long maxsplit, bool fromRight)
    {
        var result = new Pieces();
        if (sep == null)
        {
            if (!fromRight)
            {
                int i = 0;
                while (true)
                {
                    while (i < s.Length && JinjaLexer.IsPyWhitespace(s[i])) i++;
                    if (i >= s.Length) break;
                    if (maxsplit >= 0 && result.Count == maxsplit) { result.Add(s[i..]); break; }
                    int j = i;
                    while (j < s.Length && !JinjaLexer.IsPyWhitespace(s[j])) j++;
                    result.Add(s[i..j]);
                    i = j;
                }
            }
            else
            {
                int i = s.Length;
                while (true)
                {
                    while (i > 0 && JinjaLexer.IsPyWhitespace(s[i - 1])) i--;
                    if (i <= 0) break;
                    if (maxsplit >= 0 && result.Count == maxsplit) { result.Add(s[..i]); break; }
                    int j = i;
                    while (j > 0 && !JinjaLexer.IsPyWhitespace(s[j - 1])) j--;
                    result.Add(s[j..i]);
                    i = j;
                }
                result.Reverse();
            }
            return result.Cast<object?>().ToList();
        }
        if (sep.Length == 0) throw new TemplateException("empty separator");
        if (!fromRight)
        {
            int pos = 0;
            while (maxsplit < 0 || result.Count < maxsplit)
            {
                int i = s.IndexOf(sep, pos, StringComparison.Ordinal);
                if (i < 0) break;
                result.Add(s[pos..i]);
                pos = i + sep.Length;
            }
            result.Add(s[pos..]);
        }
        else
        {
            int end = s.Length;
            while (maxsplit < 0 || result.Count < maxsplit)
            {
                int i = end - sep.Length < 0 ? -1 : s.LastIndexOf(sep, end - 1, end, StringComparison.Ordinal);
                if (i < 0 || i + sep.Length > end) break;
                result.Add(s[(i + sep.Length)..end]);
                end = i;
            }
            result.Add(s[..end]);
            result.Reverse();
        }
        return result.Cast<object?>().ToList();
    }

    /// <summary>A list of the pieces of a string that stays within the render's collection limit while it grows
    /// (a string of separators would otherwise become millions of strings before any check).</summary>
    private sealed class Pieces : List<string>
    {
        private readonly int _limit = TemplateBudget.Current?.Limits.MaxCollectionLength ?? int.MaxValue;

        public new void Add(string piece)
        {
            if (Count >= _limit) TemplateBudget.Current!.Collection(Count + 1L);
            base.Add(piece);
        }
    }

    /// <summary>str.replace(old, new[, count]); an empty <paramref name="old"/> inserts between code points.</summary>
    public static string Replace(string s, string old, string nw, long count)
    {
        if (TemplateBudget.Current is { } budget && nw.Length > old.Length)
        {
            long places = old.Length == 0 ? Py.Len(s) + 1 : Occurrences(s, old);
            if (count >= 0) places = Math.Min(places, count);
            budget.String(s.Length + places * (nw.Length - old.Length));
        }
        if (count < 0) return old.Length == 0 ? InsertBetweenChars(s, nw, int.MaxValue) : s.Replace(old, nw, StringComparison.Ordinal);
        if (old.Length == 0) return InsertBetweenChars(s, nw, count);
        var sb = new StringBuilder();
        int pos = 0;
        for (long n = 0; n < count; n++)
        {
            int i = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (i < 0) break;
            sb.Append(s, pos, i - pos).Append(nw);
            pos = i + old.Length;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    private static long Occurrences(string s, string sub)
    {
        long n = 0;
        for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private static string InsertBetweenChars(string s, string nw, long count)
    {
        var chars = Py.Chars(s);
        var sb = new StringBuilder();
        long n = 0;
        for (int i = 0; i <= chars.Count; i++)
        {
            if (n < count) { sb.Append(nw); n++; }
            if (i < chars.Count) sb.Append(chars[i]);
        }
        return sb.ToString();
    }

    /// <summary>A padding or indentation argument: the string it makes must fit the limits (and an int).</summary>
    public static int Padded(long width)
    {
        TemplateBudget.Current?.String(width);
        return width > int.MaxValue ? throw new TemplateException($"template error: a width of {width:N0} is too large") : (int)Math.Max(0, width);
    }

    /// <summary>string.Join after checking the total length (a list may hold one large string many times).</summary>
    public static string Join(string separator, IReadOnlyList<string> items)
    {
        if (TemplateBudget.Current is { } budget)
        {
            long total = (long)separator.Length * Math.Max(0, items.Count - 1);
            foreach (string item in items) total += item.Length;
            budget.String(total);
        }
        return string.Join(separator, items);
    }

    public static string Capitalize(string s) => s.Length == 0 ? s : s[..1].ToUpperInvariant() + s[1..].ToLowerInvariant();

    /// <summary>Python's str.title(): a cased character after an uncased one is upper-cased, others lower-cased.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevCased = false;
        foreach (char c in s)
        {
            bool cased = char.IsUpper(c) || char.IsLower(c) || char.IsLetter(c) && char.ToUpperInvariant(c) != char.ToLowerInvariant(c);
            sb.Append(cased ? (prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)) : c);
            prevCased = cased;
        }
        return sb.ToString();
    }

    /// <summary>str.center(width, fill): the extra fill goes left when both the padding and the width are odd (CPython's rule).</summary>
    public static string Center(string s, long width, char fill)
    {
        if (s.Length >= width) return s;
        Padded(width);
        int total = (int)width - s.Length, left = total / 2 + (total & (int)width & 1);
        return new string(fill, left) + s + new string(fill, total - left);
    }

    /// <summary>str.format with {}, {0}, {name} and {{ }} escapes (no format specs).</summary>
    public static string Format(string fmt, JinjaArgs args)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < fmt.Length; i++)
        {
            char c = fmt[i];
            if (c == '{' && i + 1 < fmt.Length && fmt[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < fmt.Length && fmt[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            int end = fmt.IndexOf('}', i);
            if (end < 0) throw new TemplateException("Single '{' encountered in format string");
            string field = fmt[(i + 1)..end];
            if (field.Contains(':') || field.Contains('!')) throw new TemplateException("format specs are not supported");
            var positional = args.Positional;
            object? v;
            if (field.Length == 0) v = auto < positional.Count ? positional[auto++] : throw new TemplateException("Replacement index out of range");
            else if (int.TryParse(field, out int idx)) v = idx < positional.Count ? positional[idx] : throw new TemplateException("Replacement index out of range");
            else v = args.Keywords.FirstOrDefault(k => k.Key == field) is { Key: not null } kv ? kv.Value : throw new TemplateException($"KeyError: '{field}'");
            sb.Append(Py.Str(v));
            TemplateBudget.Current?.Building(sb.Length);
            i = end;
        }
        return sb.ToString();
    }
}
