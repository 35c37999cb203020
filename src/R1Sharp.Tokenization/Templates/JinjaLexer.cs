using System.Globalization;
using System.Text;

namespace R1Sharp.Tokenization.Templates;

internal enum JinjaTokenKind { Data, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, Eof }

internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Value, int Line, object? Number = null)
{
    /// <summary>For error messages: one line, at most 40 characters of the token.</summary>
    public override string ToString() => Kind == JinjaTokenKind.Eof ? "end of template"
        : $"'{(Value.Length > 40 ? Value[..40] + "..." : Value).Replace("\r", "\\r").Replace("\n", "\\n")}'";
}

/// <summary>Whitespace options and limits of a jinja2 Environment. HF transformers renders chat templates with
/// trim_blocks=True and lstrip_blocks=True (and keep_trailing_newline=False), which is the default here.</summary>
public sealed record JinjaOptions
{
    public bool TrimBlocks { get; init; } = true;
    public bool LstripBlocks { get; init; } = true;
    public bool KeepTrailingNewline { get; init; }
    /// <summary>What parsing and one render may cost (the sandbox's bounds).</summary>
    public TemplateLimits Limits { get; init; } = TemplateLimits.Default;
    public static JinjaOptions Transformers { get; } = new();
    public static JinjaOptions Jinja2Defaults { get; } = new() { TrimBlocks = false, LstripBlocks = false };
}

/// <summary>Splits template source into tokens the way jinja2's lexer does: data, {{ }}, {% %} ({# #} dropped),
/// whitespace control ("-" strips all whitespace on that side, "+" disables lstrip/trim for that tag),
/// trim_blocks (one newline after a block or comment tag) and lstrip_blocks (spaces and tabs before a block or
/// comment tag that starts its line), {% raw %}, and expression tokens inside tags.</summary>
internal static class JinjaLexer
{
    public static List<JinjaToken> Tokenize(string source, JinjaOptions options)
    {
        // jinja2 normalizes \r\n and \r to \n and drops one trailing newline (keep_trailing_newline=False).
        source = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (!options.KeepTrailingNewline && source.EndsWith('\n')) source = source[..^1];

        var tokens = new List<JinjaToken>();
        int pos = 0, line = 1;
        bool lineStarting = true; // the previous match ended with "\n" (or we are at the start)
        while (pos < source.Length)
        {
            int start = FindTagStart(source, pos);
            string text = start < 0 ? source[pos..] : source[pos..start];
            if (start < 0)
            {
                if (text.Length > 0) tokens.Add(new(JinjaTokenKind.Data, text, line));
                break;
            }
            char kind = source[start + 1]; // '{', '%' or '#'
            int after = start + 2;
            char sign = after < source.Length && (source[after] == '-' || source[after] == '+') ? source[after] : '\0';
            if (sign != '\0') after++;

            if (sign == '-') text = text.TrimEnd(PyWhitespace);
            else if (sign != '+' && options.LstripBlocks && kind != '{')
            {
                int lpos = text.LastIndexOf('\n') + 1;
                if (lpos > 0 || lineStarting)
                {
                    bool allWs = lpos < text.Length;
                    for (int i = lpos; i < text.Length && allWs; i++) allWs = IsPyWhitespace(text[i]);
                    if (allWs) text = text[..lpos];
                }
            }
            if (text.Length > 0) tokens.Add(new(JinjaTokenKind.Data, text, line));
            line += CountNewlines(source, pos, after);

            if (kind == '#')
            {
                int end = source.IndexOf("#}", after, StringComparison.Ordinal);
                if (end < 0) throw new TemplateException($"line {line}: missing end of comment tag");
                line += CountNewlines(source, after, end);
                char endSign = end > after && (source[end - 1] == '-' || source[end - 1] == '+') ? source[end - 1] : '\0';
                pos = end + 2;
                pos = AfterTagEnd(source, pos, endSign, options.TrimBlocks, ref line, out lineStarting);
                continue;
            }

            if (kind == '%' && TryRaw(source, after, out int rawBodyStart))
            {
                // {% raw %} ... {% endraw %}: the body is data, untouched.
                int endTag = FindEndRaw(source, rawBodyStart, out int endTagEnd, out char endTagInnerSign, out char endTagOuterSign);
                if (endTag < 0) throw new TemplateException($"line {line}: missing {{% endraw %}}");
                string raw = source[rawBodyStart..endTag];
                if (endTagInnerSign == '-') raw = raw.TrimEnd(PyWhitespace);
                if (raw.Length > 0) tokens.Add(new(JinjaTokenKind.Data, raw, line));
                line += CountNewlines(source, after, endTagEnd);
                pos = AfterTagEnd(source, endTagEnd, endTagOuterSign, options.TrimBlocks, ref line, out lineStarting);
                continue;
            }

            bool isVar = kind == '{';
            tokens.Add(new(isVar ? JinjaTokenKind.VariableBegin : JinjaTokenKind.BlockBegin, isVar ? "{{" : "{%", line));
            pos = LexExpression(source, after, isVar, tokens, ref line, options.TrimBlocks, out lineStarting);
        }
        tokens.Add(new(JinjaTokenKind.Eof, "", line));
        return tokens;
    }

    private static readonly char[] PyWhitespace = [' ', '\t', '\n', '\r', '\v', '\f', '\x1c', '\x1d', '\x1e', '\x1f', '\x85', '\u00a0',
        '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a',
        '\u2028', '\u2029', '\u202f', '\u205f', '\u3000'];

    public static bool IsPyWhitespace(char c) => Array.IndexOf(PyWhitespace, c) >= 0;

    private static int CountNewlines(string s, int from, int to)
    {
        int n = 0;
        for (int i = from; i < to && i < s.Length; i++) if (s[i] == '\n') n++;
        return n;
    }

    private static int FindTagStart(string s, int from)
    {
        for (int i = s.IndexOf('{', from); i >= 0 && i + 1 < s.Length; i = s.IndexOf('{', i + 1))
        {
            char c = s[i + 1];
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    /// <summary>What follows a block/comment end: "-" eats all whitespace, trim_blocks eats one newline.</summary>
    private static int AfterTagEnd(string s, int pos, char endSign, bool trimBlocks, ref int line, out bool lineStarting)
    {
        lineStarting = false;
        if (endSign == '-')
        {
            int p = pos;
            while (p < s.Length && IsPyWhitespace(s[p])) p++;
            line += CountNewlines(s, pos, p);
            lineStarting = p > pos && s[p - 1] == '\n';
            return p;
        }
        if (endSign != '+' && trimBlocks && pos < s.Length && s[pos] == '\n')
        {
            line++;
            lineStarting = true;
            return pos + 1;
        }
        return pos;
    }

    private static bool TryRaw(string s, int p, out int bodyStart)
    {
        bodyStart = 0;
        while (p < s.Length && char.IsWhiteSpace(s[p])) p++;
        if (string.CompareOrdinal(s, p, "raw", 0, 3) != 0) return false;
        p += 3;
        if (p < s.Length && (char.IsLetterOrDigit(s[p]) || s[p] == '_')) return false;
        while (p < s.Length && char.IsWhiteSpace(s[p])) p++;
        if (p < s.Length && (s[p] == '-' || s[p] == '+')) p++;
        if (string.CompareOrdinal(s, p, "%}", 0, 2) != 0) return false;
        bodyStart = p + 2;
        if (s[p - 1] == '-') while (bodyStart < s.Length && IsPyWhitespace(s[bodyStart])) bodyStart++;
        return true;
    }

    private static int FindEndRaw(string s, int from, out int tagEnd, out char innerSign, out char outerSign)
    {
        for (int i = s.IndexOf("{%", from, StringComparison.Ordinal); i >= 0; i = s.IndexOf("{%", i + 2, StringComparison.Ordinal))
        {
            int p = i + 2;
            innerSign = p < s.Length && (s[p] == '-' || s[p] == '+') ? s[p] : '\0';
            if (innerSign != '\0') p++;
            while (p < s.Length && char.IsWhiteSpace(s[p])) p++;
            if (string.CompareOrdinal(s, p, "endraw", 0, 6) != 0) continue;
            p += 6;
            while (p < s.Length && char.IsWhiteSpace(s[p])) p++;
            outerSign = p < s.Length && (s[p] == '-' || s[p] == '+') ? s[p] : '\0';
            if (outerSign != '\0') p++;
            if (string.CompareOrdinal(s, p, "%}", 0, 2) != 0) continue;
            tagEnd = p + 2;
            return i;
        }
        tagEnd = 0; innerSign = '\0'; outerSign = '\0';
        return -1;
    }

    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"];

    private static int LexExpression(string s, int p, bool isVar, List<JinjaToken> tokens, ref int line, bool trimBlocks, out bool lineStarting)
    {
        int depth = 0;
        string end = isVar ? "}}" : "%}";
        while (true)
        {
            while (p < s.Length && IsPyWhitespace(s[p])) { if (s[p] == '\n') line++; p++; }
            if (p >= s.Length) throw new TemplateException($"line {line}: unexpected end of template, expected '{end}'");
            if (depth == 0)
            {
                // End of tag, optionally with a whitespace-control sign right before it.
                char sign = s[p] == '-' || s[p] == '+' ? s[p] : '\0';
                int q = sign != '\0' ? p + 1 : p;
                if (string.CompareOrdinal(s, q, end, 0, 2) == 0 && !(isVar && sign == '+'))
                {
                    tokens.Add(new(isVar ? JinjaTokenKind.VariableEnd : JinjaTokenKind.BlockEnd, end, line));
                    int after = q + 2;
                    if (isVar)
                    {
                        lineStarting = false;
                        if (sign == '-')
                        {
                            int r = after;
                            while (r < s.Length && IsPyWhitespace(s[r])) r++;
                            line += CountNewlines(s, after, r);
                            lineStarting = r > after && s[r - 1] == '\n';
                            return r;
                        }
                        return after;
                    }
                    return AfterTagEnd(s, after, sign, trimBlocks, ref line, out lineStarting);
                }
            }
            char c = s[p];
            if (char.IsAsciiDigit(c))
            {
                p = LexNumber(s, p, tokens, line);
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                int q = p + 1;
                while (q < s.Length && (char.IsLetterOrDigit(s[q]) || s[q] == '_')) q++;
                tokens.Add(new(JinjaTokenKind.Name, s[p..q], line));
                p = q;
                continue;
            }
            if (c == '\'' || c == '"')
            {
                int q = p + 1;
                while (q < s.Length && s[q] != c) q += s[q] == '\\' ? 2 : 1;
                if (q >= s.Length) throw new TemplateException($"line {line}: unterminated string");
                string raw = s[(p + 1)..q];
                tokens.Add(new(JinjaTokenKind.String, Unescape(raw), line));
                line += CountNewlines(s, p, q);
                p = q + 1;
                continue;
            }
            string? op = null;
            foreach (string o in Operators)
                if (string.CompareOrdinal(s, p, o, 0, o.Length) == 0) { op = o; break; }
            if (op == null) throw new TemplateException($"line {line}: unexpected char '{c}'");
            if (op is "(" or "[" or "{") depth++;
            else if (op is ")" or "]" or "}") depth--;
            tokens.Add(new(JinjaTokenKind.Operator, op, line));
            p += op.Length;
        }
    }

    /// <summary>An integer (decimal, 0x, 0o, 0b, with _ separators) or float literal of ASCII digits. Python's integers
    /// have no size limit; here a literal beyond 64 bits is a TemplateException.</summary>
    private static int LexNumber(string s, int p, List<JinjaToken> tokens, int line)
    {
        int q = p;
        if (s[p] == '0' && p + 1 < s.Length && "xXoObB".Contains(s[p + 1]))
        {
            int radix = char.ToLowerInvariant(s[p + 1]) switch { 'x' => 16, 'o' => 8, _ => 2 };
            q = p + 2;
            while (q < s.Length && (char.IsAsciiHexDigit(s[q]) || s[q] == '_')) q++;
            string digits = s[(p + 2)..q].Replace("_", "");
            if (digits.Length == 0 || digits.Any(d => Convert.ToInt32(d.ToString(), 16) >= radix))
                throw new TemplateException($"template syntax error, line {line}: invalid integer literal '{s[p..q]}'");
            ulong value = 0;
            foreach (char d in digits)
                if (value > (ulong.MaxValue - 15) / (ulong)radix || (value = value * (ulong)radix + (ulong)Convert.ToInt32(d.ToString(), 16)) > long.MaxValue)
                    throw new TemplateException($"template syntax error, line {line}: integer literal '{s[p..q]}' is beyond 64 bits");
            tokens.Add(new(JinjaTokenKind.Integer, s[p..q], line, (long)value));
            return q;
        }
        while (q < s.Length && (char.IsAsciiDigit(s[q]) || s[q] == '_')) q++;
        bool isFloat = false;
        if (q + 1 < s.Length && s[q] == '.' && char.IsAsciiDigit(s[q + 1]))
        {
            isFloat = true;
            q++;
            while (q < s.Length && (char.IsAsciiDigit(s[q]) || s[q] == '_')) q++;
        }
        if (q < s.Length && (s[q] == 'e' || s[q] == 'E'))
        {
            int r = q + 1;
            if (r < s.Length && (s[r] == '+' || s[r] == '-')) r++;
            if (r < s.Length && char.IsAsciiDigit(s[r]))
            {
                isFloat = true;
                q = r;
                while (q < s.Length && (char.IsAsciiDigit(s[q]) || s[q] == '_')) q++;
            }
        }
        string text = s[p..q].Replace("_", "");
        if (isFloat) tokens.Add(new(JinjaTokenKind.Float, text, line, double.Parse(text, CultureInfo.InvariantCulture)));
        else if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value)) tokens.Add(new(JinjaTokenKind.Integer, text, line, value));
        else throw new TemplateException($"template syntax error, line {line}: integer literal '{text}' is beyond 64 bits");
        return q;
    }

    /// <summary>Python's unicode-escape decoding as jinja2 applies it to string literals; unknown escapes stay as written.</summary>
    public static string Unescape(string raw)
    {
        if (!raw.Contains('\\')) return raw;
        var sb = new StringBuilder(raw.Length);
        for (int i = 0; i < raw.Length; i++)
        {
            char c = raw[i];
            if (c != '\\' || i + 1 >= raw.Length) { sb.Append(c); continue; }
            char n = raw[++i];
            switch (n)
            {
                case '\n': break; // line continuation
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case 'x': case 'u': case 'U':
                {
                    int len = n == 'x' ? 2 : n == 'u' ? 4 : 8;
                    if (raw.Length - (i + 1) >= len
                        && int.TryParse(raw.AsSpan(i + 1, len), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                    {
                        sb.Append(char.ConvertFromUtf32(code));
                        i += len;
                    }
                    else throw new TemplateException($"invalid \\{n} escape in string literal");
                    break;
                }
                default:
                    if (n >= '0' && n <= '7')
                    {
                        int code = 0, k = 0;
                        while (k < 3 && i < raw.Length && raw[i] >= '0' && raw[i] <= '7') { code = code * 8 + (raw[i] - '0'); i++; k++; }
                        i--;
                        sb.Append((char)code);
                    }
                    else sb.Append('\\').Append(n);
                    break;
            }
        }
        return sb.ToString();
    }
}
