using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace R1Sharp.Tokenization.Templates;

/// <summary>jinja2's filters and tests, the Python str/dict/list methods templates call, and the globals
/// HF transformers provides (raise_exception, strftime_now) besides jinja2's (range, namespace, dict).</summary>
internal static partial class JinjaBuiltins
{
    // ---- argument helpers ----

    private static object? Arg(List<object?> args, List<KeyValuePair<string, object?>> kwargs, int index, string name, object? fallback)
    {
        if (index >= 0 && index < args.Count) return args[index];
        foreach (var kv in kwargs) if (kv.Key == name) return kv.Value;
        return fallback;
    }

    private static string? OptString(object? v) => v is null or JinjaUndefined ? null : v as string ?? Py.Str(v);

    private static long ToInt(object? v, string what) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)d,
        _ => throw new TemplateException($"{what}: expected an integer, got '{Py.TypeName(v)}'"),
    };

    // ---- globals ----

    private sealed class Global(Func<JinjaRenderer, List<object?>, List<KeyValuePair<string, object?>>, object?> fn) : IJinjaCallable
    {
        public object? Call(JinjaRenderer renderer, List<object?> args, List<KeyValuePair<string, object?>> kwargs) => fn(renderer, args, kwargs);
    }

    public static void AddGlobals(JinjaScope scope, Func<DateTime> clock)
    {
        scope.Set("range", new Global((_, a, _) =>
        {
            long start = 0, stop, step = 1;
            if (a.Count == 1) stop = ToInt(a[0], "range");
            else if (a.Count >= 2) { start = ToInt(a[0], "range"); stop = ToInt(a[1], "range"); if (a.Count > 2) step = ToInt(a[2], "range"); }
            else throw new TemplateException("range expected at least 1 argument");
            if (step == 0) throw new TemplateException("range() arg 3 must not be zero");
            var list = new List<object?>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step)
            {
                list.Add(i);
                if (list.Count > 100_000) throw new TemplateException("range too big");
            }
            return list;
        }));
        scope.Set("namespace", new Global((_, a, kw) =>
        {
            var ns = new JinjaNamespace();
            foreach (var x in a)
                if (x is JinjaDict d) foreach (var kv in d) ns.Attributes[Py.Str(kv.Key)] = kv.Value;
            foreach (var kv in kw) ns.Attributes[kv.Key] = kv.Value;
            return ns;
        }));
        scope.Set("dict", new Global((_, a, kw) =>
        {
            var d = new JinjaDict();
            foreach (var x in a)
                if (x is JinjaDict src) foreach (var kv in src) d[kv.Key] = kv.Value;
            foreach (var kv in kw) d[kv.Key] = kv.Value;
            return d;
        }));
        scope.Set("raise_exception", new Global((_, a, _) => throw new TemplateException(a.Count > 0 ? Py.Str(a[0]) : "raise_exception")));
        scope.Set("strftime_now", new Global((_, a, _) => Strftime(clock(), a.Count > 0 ? Py.Str(a[0]) : "")));
    }

    /// <summary>Python's datetime.strftime for the common directives.</summary>
    public static string Strftime(DateTime t, string format)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char c = format[++i];
            sb.Append(c switch
            {
                'Y' => t.Year.ToString("0000", ci),
                'y' => (t.Year % 100).ToString("00", ci),
                'm' => t.Month.ToString("00", ci),
                'd' => t.Day.ToString("00", ci),
                'e' => t.Day.ToString(ci).PadLeft(2),
                'H' => t.Hour.ToString("00", ci),
                'I' => ((t.Hour + 11) % 12 + 1).ToString("00", ci),
                'M' => t.Minute.ToString("00", ci),
                'S' => t.Second.ToString("00", ci),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'b' or 'h' => ci.DateTimeFormat.GetAbbreviatedMonthName(t.Month),
                'B' => ci.DateTimeFormat.GetMonthName(t.Month),
                'a' => ci.DateTimeFormat.GetAbbreviatedDayName(t.DayOfWeek),
                'A' => ci.DateTimeFormat.GetDayName(t.DayOfWeek),
                'j' => t.DayOfYear.ToString("000", ci),
                'w' => ((int)t.DayOfWeek).ToString(ci),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", ci),
                '%' => "%",
                _ => "%" + c,
            });
        }
        return sb.ToString();
    }

    // ---- filters ----

    public static object? ApplyFilter(JinjaRenderer r, string name, object? value, List<object?> args, List<KeyValuePair<string, object?>> kwargs)
    {
        switch (name)
        {
            case "trim":
                return StripChars(Py.Str(value), OptString(Arg(args, kwargs, 0, "chars", null)), true, true);
            case "tojson":
            {
                var indentArg = Arg(args, kwargs, 0, "indent", null);
                string? indent = indentArg switch { null => null, long n => new string(' ', (int)n), string s => s, _ => null };
                var seps = Arg(args, kwargs, -1, "separators", null) as IList<object?>;
                bool sortKeys = Py.Truthy(Arg(args, kwargs, -1, "sort_keys", false));
                bool ensureAscii = Py.Truthy(Arg(args, kwargs, -1, "ensure_ascii", false));
                return JinjaJson.Dumps(value, indent, seps != null ? Py.Str(seps[0]) : null, seps != null ? Py.Str(seps[1]) : null, sortKeys, ensureAscii);
            }
            case "length" or "count":
                return Py.Len(value);
            case "upper": return Py.Str(value).ToUpperInvariant();
            case "lower": return Py.Str(value).ToLowerInvariant();
            case "capitalize": return Capitalize(Py.Str(value));
            case "title": return JinjaTitle(Py.Str(value));
            case "default" or "d":
            {
                var fallback = Arg(args, kwargs, 0, "default_value", "");
                bool boolean = Py.Truthy(Arg(args, kwargs, 1, "boolean", false));
                return value is JinjaUndefined || (boolean && !Py.Truthy(value)) ? fallback : value;
            }
            case "join":
            {
                string sep = Py.Str(Arg(args, kwargs, 0, "d", ""));
                var attr = OptString(Arg(args, kwargs, 1, "attribute", null));
                return string.Join(sep, Py.Iterate(value).Select(x => Py.Str(attr != null ? JinjaRenderer.GetItem(x, attr) : x)));
            }
            case "first":
            {
                var items = Py.Iterate(value);
                return items.Count > 0 ? items[0] : new JinjaUndefined("No first item, sequence was empty.");
            }
            case "last":
            {
                var items = Py.Iterate(value);
                return items.Count > 0 ? items[^1] : new JinjaUndefined("No last item, sequence was empty.");
            }
            case "list": return Py.Iterate(value).ToList();
            case "string": return Py.Str(value);
            case "safe": return value;
            case "escape" or "e":
                return Py.Str(value).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");
            case "int":
            {
                var fallback = Arg(args, kwargs, 0, "default", 0L);
                long bas = ToInt(Arg(args, kwargs, 1, "base", 10L), "int");
                return ToPyInt(value, fallback, (int)bas);
            }
            case "float":
            {
                var fallback = Arg(args, kwargs, 0, "default", 0.0);
                return value switch
                {
                    double d => d,
                    long l => (double)l,
                    bool b => b ? 1.0 : 0.0,
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                    _ => fallback,
                };
            }
            case "abs":
                return value switch { long l => (object)Math.Abs(l), double d => (object)Math.Abs(d), bool b => (object)(b ? 1L : 0L), _ => throw new TemplateException($"bad operand type for abs(): '{Py.TypeName(value)}'") };
            case "round":
            {
                long precision = ToInt(Arg(args, kwargs, 0, "precision", 0L), "round");
                string method = Py.Str(Arg(args, kwargs, 1, "method", "common"));
                double d = value switch { long l => l, double x => x, bool b => b ? 1 : 0, _ => throw new TemplateException("round: not a number") };
                double f = Math.Pow(10, precision);
                return method switch
                {
                    "common" => Math.Round(d, (int)Math.Clamp(precision, 0, 15), MidpointRounding.ToEven), // Python's round()
                    "ceil" => Math.Ceiling(d * f) / f,
                    "floor" => Math.Floor(d * f) / f,
                    _ => throw new TemplateException("method must be common, ceil or floor"),
                };
            }
            case "replace":
            {
                string s = Py.Str(value), old = Py.Str(Arg(args, kwargs, 0, "old", "")), nw = Py.Str(Arg(args, kwargs, 1, "new", ""));
                var countArg = Arg(args, kwargs, 2, "count", null);
                return PyReplace(s, old, nw, countArg is null ? -1 : ToInt(countArg, "replace"));
            }
            case "reverse":
                return value switch
                {
                    string s => string.Concat(Enumerable.Reverse(Py.Chars(s))),
                    _ => Enumerable.Reverse(Py.Iterate(value)).ToList(),
                };
            case "items":
                return value switch
                {
                    JinjaDict d => d.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList(),
                    JinjaUndefined => new List<object?>(),
                    _ => throw new TemplateException($"items: can only get item pairs from a mapping, not '{Py.TypeName(value)}'"),
                };
            case "dictsort":
            {
                if (value is not JinjaDict d) throw new TemplateException("dictsort: expected a mapping");
                bool caseSensitive = Py.Truthy(Arg(args, kwargs, 0, "case_sensitive", false));
                string by = Py.Str(Arg(args, kwargs, 1, "by", "key"));
                bool reverse = Py.Truthy(Arg(args, kwargs, 2, "reverse", false));
                var pairs = d.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList();
                int pos = by == "value" ? 1 : 0;
                return SortList(pairs, x => ((object?[])x!)[pos], caseSensitive, reverse);
            }
            case "sort":
            {
                bool reverse = Py.Truthy(Arg(args, kwargs, 0, "reverse", false));
                bool caseSensitive = Py.Truthy(Arg(args, kwargs, 1, "case_sensitive", false));
                var attr = OptString(Arg(args, kwargs, 2, "attribute", null));
                return SortList(Py.Iterate(value).ToList(), x => attr != null ? JinjaRenderer.GetItem(x, attr) : x, caseSensitive, reverse);
            }
            case "unique":
            {
                bool caseSensitive = Py.Truthy(Arg(args, kwargs, 0, "case_sensitive", false));
                var attr = OptString(Arg(args, kwargs, 1, "attribute", null));
                var seen = new List<object?>();
                var result = new List<object?>();
                foreach (var x in Py.Iterate(value))
                {
                    var key = attr != null ? JinjaRenderer.GetItem(x, attr) : x;
                    if (!caseSensitive && key is string ks) key = ks.ToLowerInvariant();
                    if (seen.Any(s => Py.AreEqual(s, key))) continue;
                    seen.Add(key);
                    result.Add(x);
                }
                return result;
            }
            case "min" or "max":
            {
                bool caseSensitive = Py.Truthy(Arg(args, kwargs, 0, "case_sensitive", false));
                var attr = OptString(Arg(args, kwargs, 1, "attribute", null));
                var items = Py.Iterate(value);
                if (items.Count == 0) return new JinjaUndefined($"No aggregated item, sequence was empty.");
                var sorted = SortList(items.ToList(), x => attr != null ? JinjaRenderer.GetItem(x, attr) : x, caseSensitive, false);
                return name == "min" ? sorted[0] : sorted[^1];
            }
            case "sum":
            {
                var attr = OptString(Arg(args, kwargs, 0, "attribute", null));
                object? total = Arg(args, kwargs, 1, "start", 0L);
                foreach (var x in Py.Iterate(value)) total = Py.Binary("+", total, attr != null ? JinjaRenderer.GetItem(x, attr) : x);
                return total;
            }
            case "indent":
            {
                var widthArg = Arg(args, kwargs, 0, "width", 4L);
                string indention = widthArg as string ?? new string(' ', (int)ToInt(widthArg, "indent"));
                bool first = Py.Truthy(Arg(args, kwargs, 1, "first", false));
                bool blank = Py.Truthy(Arg(args, kwargs, 2, "blank", false));
                string s = Py.Str(value) + "\n";
                var lines = SplitLines(s);
                string rv;
                if (blank) rv = string.Join("\n" + indention, lines);
                else
                {
                    rv = lines[0];
                    if (lines.Count > 1) rv += "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? indention + l : l));
                }
                return first ? indention + rv : rv;
            }
            case "attr":
                return JinjaRenderer.GetAttr(value, Py.Str(Arg(args, kwargs, 0, "name", "")));
            case "format":
                return Py.Binary("%", Py.Str(value), args.ToArray());
            case "wordcount":
                return (long)Regex.Matches(Py.Str(value), @"\w+").Count;
            case "center":
            {
                string s = Py.Str(value);
                int width = (int)ToInt(Arg(args, kwargs, 0, "width", 80L), "center");
                if (s.Length >= width) return s;
                int total = width - s.Length, left = total / 2 + (total & width & 1);
                return new string(' ', left) + s + new string(' ', total - left);
            }
            case "batch":
            {
                int size = (int)ToInt(Arg(args, kwargs, 0, "linecount", 1L), "batch");
                var fill = Arg(args, kwargs, 1, "fill_with", null);
                bool hasFill = args.Count > 1 || kwargs.Any(k => k.Key == "fill_with");
                var result = new List<object?>();
                List<object?>? cur = null;
                foreach (var x in Py.Iterate(value))
                {
                    cur ??= [];
                    cur.Add(x);
                    if (cur.Count == size) { result.Add(cur); cur = null; }
                }
                if (cur != null)
                {
                    while (hasFill && cur.Count < size) cur.Add(fill);
                    result.Add(cur);
                }
                return result;
            }
            case "map":
            {
                var items = Py.Iterate(value);
                var attr = kwargs.FirstOrDefault(k => k.Key == "attribute");
                if (attr.Key != null)
                {
                    var def = kwargs.FirstOrDefault(k => k.Key == "default");
                    return items.Select(x =>
                    {
                        var v = JinjaRenderer.GetItem(x, attr.Value);
                        return v is JinjaUndefined && def.Key != null ? def.Value : v;
                    }).ToList();
                }
                if (args.Count == 0) return items.ToList();
                string filter = Py.Str(args[0]);
                var rest = args.Skip(1).ToList();
                return items.Select(x => ApplyFilter(r, filter, x, rest, kwargs)).ToList();
            }
            case "select" or "reject":
            {
                bool want = name == "select";
                var items = Py.Iterate(value);
                if (args.Count == 0) return items.Where(x => Py.Truthy(x) == want).ToList();
                string test = Py.Str(args[0]);
                var rest = args.Skip(1).ToList();
                return items.Where(x => ApplyTest(r, test, x, rest, null) == want).ToList();
            }
            case "selectattr" or "rejectattr":
            {
                bool want = name == "selectattr";
                var items = Py.Iterate(value);
                if (args.Count == 0) throw new TemplateException($"{name}: missing attribute");
                var attr = args[0];
                if (args.Count == 1) return items.Where(x => Py.Truthy(GetAttrPath(x, attr)) == want).ToList();
                string test = Py.Str(args[1]);
                var rest = args.Skip(2).ToList();
                return items.Where(x => ApplyTest(r, test, GetAttrPath(x, attr), rest, null) == want).ToList();
            }
            default:
                throw new TemplateException($"No filter named '{name}'.");
        }
    }

    /// <summary>jinja2's make_attrgetter: "a.b" walks nested items; integer parts index lists.</summary>
    private static object? GetAttrPath(object? x, object? attr)
    {
        if (attr is not string path) return JinjaRenderer.GetItem(x, attr);
        foreach (var part in path.Split('.'))
            x = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var idx) ? JinjaRenderer.GetItem(x, idx) : JinjaRenderer.GetItem(x, part);
        return x;
    }

    private static List<object?> SortList(List<object?> items, Func<object?, object?> key, bool caseSensitive, bool reverse)
    {
        object? K(object? x)
        {
            var k = key(x);
            return !caseSensitive && k is string s ? s.ToLowerInvariant() : k;
        }
        // Stable sort (Python's sort is stable); reverse keeps stability like Python's reverse=True.
        var indexed = items.Select((x, i) => (x, i, k: K(x))).ToList();
        indexed.Sort((a, b) =>
        {
            int c = Py.Compare(a.k, b.k, "<");
            if (reverse) c = -c;
            return c != 0 ? c : a.i.CompareTo(b.i);
        });
        return indexed.Select(t => t.x).ToList();
    }

    private static object? ToPyInt(object? value, object? fallback, int bas)
    {
        switch (value)
        {
            case long l: return l;
            case bool b: return b ? 1L : 0L;
            case double d: return double.IsFinite(d) ? (long)Math.Truncate(d) : fallback;
            case string s:
            {
                string t = s.Trim().Replace("_", "");
                try
                {
                    if (bas == 10) return long.Parse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                    bool neg = t.StartsWith('-');
                    if (neg || t.StartsWith('+')) t = t[1..];
                    if (t.Length > 2 && t[0] == '0' && "xXoObB".Contains(t[1])) t = t[2..];
                    long v = Convert.ToInt64(t, bas);
                    return neg ? -v : v;
                }
                catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
                {
                    if (double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return (long)Math.Truncate(d);
                    return fallback;
                }
            }
            default: return fallback;
        }
    }

    [GeneratedRegex(@"([-\s\(\{\[\<]+)")]
    private static partial Regex WordBeginningSplit();

    /// <summary>jinja2's title filter: capitalizes each word (words split at whitespace, -, (, {, [, &lt;).</summary>
    private static string JinjaTitle(string s) =>
        string.Concat(WordBeginningSplit().Split(s).Where(x => x.Length > 0).Select(item => item[..1].ToUpperInvariant() + item[1..].ToLowerInvariant()));

    private static string Capitalize(string s) => s.Length == 0 ? s : s[..1].ToUpperInvariant() + s[1..].ToLowerInvariant();

    /// <summary>Python's str.title(): a cased character after an uncased one is upper-cased, others lower-cased.</summary>
    private static string PyTitle(string s)
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

    private static string PyReplace(string s, string old, string nw, long count)
    {
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

    private static string StripChars(string s, string? chars, bool left, bool right)
    {
        Func<char, bool> strip = chars == null ? JinjaLexer.IsPyWhitespace : c => chars.Contains(c);
        int a = 0, b = s.Length;
        if (left) while (a < b && strip(s[a])) a++;
        if (right) while (b > a && strip(s[b - 1])) b--;
        return s[a..b];
    }

    private static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
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

    // ---- tests ----

    public static bool ApplyTest(JinjaRenderer r, string name, object? value, List<object?> args, JinjaScope? scope)
    {
        object? A(int i) => i < args.Count ? args[i] : throw new TemplateException($"test '{name}' needs an argument");
        switch (name)
        {
            case "defined": return value is not JinjaUndefined;
            case "undefined": return value is JinjaUndefined;
            case "none": return value is null;
            case "string": return value is string;
            case "mapping": return value is JinjaDict;
            case "iterable": return value is string or System.Collections.ICollection or JinjaUndefined;
            case "sequence": return value is string or System.Collections.ICollection;
            case "number": return value is long or double or bool;
            case "integer": return value is long;
            case "float": return value is double;
            case "boolean": return value is bool;
            case "true": return value is true;
            case "false": return value is false;
            case "callable": return value is IJinjaCallable or JinjaBoundMethod;
            case "sameas":
            {
                // Python's `is`: identity; small ints, bools, None and equal interned strings are the same object.
                var other = A(0);
                if (value is null || other is null) return value is null && other is null;
                if (value.GetType() != other.GetType()) return false;
                return value is bool or long or string ? Py.AreEqual(value, other) : ReferenceEquals(value, other);
            }
            case "eq" or "equalto" or "==": return Py.AreEqual(value, A(0));
            case "ne" or "!=": return !Py.AreEqual(value, A(0));
            case "lt" or "lessthan" or "<": return Py.Compare(value, A(0), "<") < 0;
            case "le" or "<=": return Py.Compare(value, A(0), "<=") <= 0;
            case "gt" or "greaterthan" or ">": return Py.Compare(value, A(0), ">") > 0;
            case "ge" or ">=": return Py.Compare(value, A(0), ">=") >= 0;
            case "in": return Py.Contains(A(0), value);
            case "odd": return ToInt(value, "odd") % 2 != 0;
            case "even": return ToInt(value, "even") % 2 == 0;
            case "divisibleby": return ToInt(value, "divisibleby") % ToInt(A(0), "divisibleby") == 0;
            case "lower": return value is string ls && ls == ls.ToLowerInvariant();
            case "upper": return value is string us && us == us.ToUpperInvariant();
            case "escaped": return false;
            case "filter": return value is string fs && IsKnownFilter(fs);
            case "test": return value is string ts && IsKnownTest(ts);
            default: throw new TemplateException($"No test named '{name}'.");
        }
    }

    private static readonly HashSet<string> FilterNames = ["trim", "tojson", "length", "count", "upper", "lower", "capitalize", "title",
        "default", "d", "join", "first", "last", "list", "string", "safe", "escape", "e", "int", "float", "abs", "round", "replace",
        "reverse", "items", "dictsort", "sort", "unique", "min", "max", "sum", "indent", "attr", "format", "wordcount", "center",
        "batch", "map", "select", "reject", "selectattr", "rejectattr"];

    private static readonly HashSet<string> TestNames = ["defined", "undefined", "none", "string", "mapping", "iterable", "sequence",
        "number", "integer", "float", "boolean", "true", "false", "callable", "sameas", "eq", "equalto", "==", "ne", "!=", "lt",
        "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "odd", "even", "divisibleby", "lower", "upper",
        "escaped", "filter", "test"];

    private static bool IsKnownFilter(string name) => FilterNames.Contains(name);
    private static bool IsKnownTest(string name) => TestNames.Contains(name);

    // ---- methods ----

    private static readonly HashSet<string> StringMethods = ["split", "rsplit", "strip", "lstrip", "rstrip", "startswith", "endswith",
        "upper", "lower", "replace", "title", "capitalize", "format", "find", "rfind", "index", "count", "join", "splitlines",
        "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper", "isnumeric", "isdecimal", "casefold", "swapcase",
        "removeprefix", "removesuffix", "zfill", "ljust", "rjust", "center", "partition", "rpartition"];

    private static readonly HashSet<string> DictMethods = ["get", "items", "keys", "values", "copy", "pop", "update", "setdefault", "clear", "popitem"];

    private static readonly HashSet<string> ListMethods = ["index", "count", "copy", "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"];

    public static bool IsStringMethod(string name) => StringMethods.Contains(name);
    public static bool IsDictMethod(string name) => DictMethods.Contains(name);
    public static bool IsListMethod(string name) => ListMethods.Contains(name);

    public static object? CallMethod(JinjaRenderer r, JinjaBoundMethod m, List<object?> args, List<KeyValuePair<string, object?>> kwargs)
    {
        object? A(int i, string n, object? fb = null) => Arg(args, kwargs, i, n, fb);
        switch (m.Target)
        {
            case string s:
                return StringMethod(s, m.Name, args, kwargs, A);
            case JinjaDict d:
                switch (m.Name)
                {
                    case "get":
                    {
                        var key = A(0, "key");
                        return key != null && d.TryGetValue(key, out var v) ? v : A(1, "default");
                    }
                    case "items": return d.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList();
                    case "keys": return d.Keys.Cast<object?>().ToList();
                    case "values": return d.Values.ToList();
                    case "copy":
                    {
                        var c = new JinjaDict();
                        foreach (var kv in d) c[kv.Key] = kv.Value;
                        return c;
                    }
                }
                break;
            case List<object?> l:
                switch (m.Name)
                {
                    case "index":
                    {
                        var x = A(0, "value");
                        int i = l.FindIndex(y => Py.AreEqual(x, y));
                        return i >= 0 ? (long)i : throw new TemplateException($"{Py.Repr(x)} is not in list");
                    }
                    case "count": return (long)l.Count(y => Py.AreEqual(A(0, "value"), y));
                    case "copy": return new List<object?>(l);
                }
                break;
            case object?[] t:
                switch (m.Name)
                {
                    case "index":
                    {
                        var x = A(0, "value");
                        int i = Array.FindIndex(t, y => Py.AreEqual(x, y));
                        return i >= 0 ? (long)i : throw new TemplateException($"{Py.Repr(x)} is not in tuple");
                    }
                    case "count": return (long)t.Count(y => Py.AreEqual(A(0, "value"), y));
                }
                break;
            case JinjaLoop loop:
                if (m.Name == "cycle")
                {
                    if (args.Count == 0) throw new TemplateException("no items for cycling given");
                    return args[loop.Index0 % args.Count];
                }
                if (m.Name == "changed")
                {
                    bool changed = loop.LastChanged == null || loop.LastChanged.Count != args.Count
                        || loop.LastChanged.Zip(args).Any(p => !Py.AreEqual(p.First, p.Second));
                    loop.LastChanged = args;
                    return changed;
                }
                break;
        }
        // ImmutableSandboxedEnvironment (what transformers uses) refuses methods that modify lists and dicts.
        throw new TemplateException($"access to attribute '{m.Name}' of '{Py.TypeName(m.Target)}' object is unsafe.");
    }

    private static object? StringMethod(string s, string name, List<object?> args, List<KeyValuePair<string, object?>> kwargs, Func<int, string, object?, object?> A)
    {
        switch (name)
        {
            case "split": return Split(s, OptString(A(0, "sep", null)), ToInt(A(1, "maxsplit", -1L), "split"), false);
            case "rsplit": return Split(s, OptString(A(0, "sep", null)), ToInt(A(1, "maxsplit", -1L), "rsplit"), true);
            case "strip": return StripChars(s, OptString(A(0, "chars", null)), true, true);
            case "lstrip": return StripChars(s, OptString(A(0, "chars", null)), true, false);
            case "rstrip": return StripChars(s, OptString(A(0, "chars", null)), false, true);
            case "startswith" or "endswith":
            {
                var p = A(0, "prefix", null);
                var options = p is IList<object?> list ? list.Select(Py.Str).ToList() : [p is string ps ? ps : throw new TemplateException($"{name} first arg must be str or a tuple of str")];
                return name == "startswith" ? options.Any(o => s.StartsWith(o, StringComparison.Ordinal)) : options.Any(o => s.EndsWith(o, StringComparison.Ordinal));
            }
            case "upper": return s.ToUpperInvariant();
            case "lower" or "casefold": return s.ToLowerInvariant();
            case "swapcase": return string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)));
            case "replace": return PyReplace(s, Py.Str(A(0, "old", "")), Py.Str(A(1, "new", "")), ToInt(A(2, "count", -1L), "replace"));
            case "title": return PyTitle(s);
            case "capitalize": return Capitalize(s);
            case "find": return (long)s.IndexOf(Py.Str(A(0, "sub", "")), StringComparison.Ordinal);
            case "rfind": return (long)s.LastIndexOf(Py.Str(A(0, "sub", "")), StringComparison.Ordinal);
            case "index":
            {
                int i = s.IndexOf(Py.Str(A(0, "sub", "")), StringComparison.Ordinal);
                return i >= 0 ? (long)i : throw new TemplateException("substring not found");
            }
            case "count":
            {
                string sub = Py.Str(A(0, "sub", ""));
                if (sub.Length == 0) return Py.Len(s) + 1;
                long n = 0;
                for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
                return n;
            }
            case "join": return string.Join(s, Py.Iterate(A(0, "iterable", null)).Select(x => x is string xs ? xs : throw new TemplateException($"sequence item: expected str instance, {Py.TypeName(x)} found")));
            case "splitlines": return SplitLines(s).Cast<object?>().ToList();
            case "isdigit" or "isnumeric" or "isdecimal": return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha": return s.Length > 0 && s.All(char.IsLetter);
            case "isalnum": return s.Length > 0 && s.All(char.IsLetterOrDigit);
            case "isspace": return s.Length > 0 && s.All(JinjaLexer.IsPyWhitespace);
            case "islower": return s.Any(char.IsLetter) && s == s.ToLowerInvariant();
            case "isupper": return s.Any(char.IsLetter) && s == s.ToUpperInvariant();
            case "removeprefix": { string p = Py.Str(A(0, "prefix", "")); return s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s; }
            case "removesuffix": { string p = Py.Str(A(0, "suffix", "")); return p.Length > 0 && s.EndsWith(p, StringComparison.Ordinal) ? s[..^p.Length] : s; }
            case "zfill": { int w = (int)ToInt(A(0, "width", 0L), "zfill"); return s.Length >= w ? s : (s.StartsWith('-') || s.StartsWith('+') ? s[0] + new string('0', w - s.Length) + s[1..] : new string('0', w - s.Length) + s); }
            case "ljust": return s.PadRight((int)ToInt(A(0, "width", 0L), "ljust"), Py.Str(A(1, "fillchar", " "))[0]);
            case "rjust": return s.PadLeft((int)ToInt(A(0, "width", 0L), "rjust"), Py.Str(A(1, "fillchar", " "))[0]);
            case "center":
            {
                int w = (int)ToInt(A(0, "width", 0L), "center");
                if (s.Length >= w) return s;
                int total = w - s.Length, left = total / 2 + (total & w & 1);
                char f = Py.Str(A(1, "fillchar", " "))[0];
                return new string(f, left) + s + new string(f, total - left);
            }
            case "partition" or "rpartition":
            {
                string sep = Py.Str(A(0, "sep", ""));
                int i = name == "partition" ? s.IndexOf(sep, StringComparison.Ordinal) : s.LastIndexOf(sep, StringComparison.Ordinal);
                if (i < 0) return name == "partition" ? new object?[] { s, "", "" } : new object?[] { "", "", s };
                return new object?[] { s[..i], sep, s[(i + sep.Length)..] };
            }
            case "format": return Format(s, args, kwargs);
        }
        throw new TemplateException($"'str' object has no attribute '{name}'");
    }

    private static List<object?> Split(string s, string? sep, long maxsplit, bool fromRight)
    {
        var result = new List<string>();
        if (sep == null)
        {
            // Runs of whitespace separate; leading/trailing whitespace gives no empty strings.
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

    /// <summary>str.format with {}, {0}, {name} and {{ }} escapes (no format specs).</summary>
    private static string Format(string fmt, List<object?> args, List<KeyValuePair<string, object?>> kwargs)
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
            object? v;
            if (field.Length == 0) v = auto < args.Count ? args[auto++] : throw new TemplateException("Replacement index out of range");
            else if (int.TryParse(field, out int idx)) v = idx < args.Count ? args[idx] : throw new TemplateException("Replacement index out of range");
            else v = kwargs.FirstOrDefault(k => k.Key == field) is { Key: not null } kv ? kv.Value : throw new TemplateException($"KeyError: '{field}'");
            sb.Append(Py.Str(v));
            i = end;
        }
        return sb.ToString();
    }
}
