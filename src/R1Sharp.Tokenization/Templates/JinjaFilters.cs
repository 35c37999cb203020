using System.Globalization;
using System.Text.RegularExpressions;

namespace R1Sharp.Tokenization.Templates;

/// <summary>jinja2's filters (<c>value | name(args)</c>), one table from name to implementation.</summary>
internal static partial class JinjaFilters
{
    private delegate object? Filter(JinjaRenderer r, object? value, JinjaArgs a);

    private static readonly Dictionary<string, Filter> s_filters = new(StringComparer.Ordinal)
    {
        ["trim"] = (_, v, a) => PyString.Strip(Py.Str(v), JinjaArgs.OptString(a.Get(0, "chars")), true, true),
        ["tojson"] = (_, v, a) => ToJson(v, a),
        ["length"] = (_, v, _) => Py.Len(v),
        ["count"] = (_, v, _) => Py.Len(v),
        ["upper"] = (_, v, _) => Py.Str(v).ToUpperInvariant(),
        ["lower"] = (_, v, _) => Py.Str(v).ToLowerInvariant(),
        ["capitalize"] = (_, v, _) => PyString.Capitalize(Py.Str(v)),
        ["title"] = (_, v, _) => Title(Py.Str(v)),
        ["default"] = (_, v, a) => Default(v, a),
        ["d"] = (_, v, a) => Default(v, a),
        ["join"] = (_, v, a) => Join(v, a),
        ["first"] = (_, v, _) => Py.Iterate(v) is { Count: > 0 } items ? items[0] : new JinjaUndefined("No first item, sequence was empty."),
        ["last"] = (_, v, _) => Py.Iterate(v) is { Count: > 0 } items ? items[^1] : new JinjaUndefined("No last item, sequence was empty."),
        ["list"] = (_, v, _) => Py.Iterate(v).ToList(),
        ["string"] = (_, v, _) => Py.Str(v),
        ["safe"] = (_, v, _) => v,
        ["escape"] = (_, v, _) => Escape(v),
        ["e"] = (_, v, _) => Escape(v),
        ["int"] = (_, v, a) => ToPyInt(v, a.Get(0, "default", 0L), (int)JinjaArgs.ToInt(a.Get(1, "base", 10L), "int")),
        ["float"] = (_, v, a) => ToPyFloat(v, a.Get(0, "default", 0.0)),
        ["abs"] = (_, v, _) => v switch
        {
            long l => (object)Math.Abs(l),
            double d => (object)Math.Abs(d),
            bool b => (object)(b ? 1L : 0L),
            _ => throw new TemplateException($"bad operand type for abs(): '{Py.TypeName(v)}'"),
        },
        ["round"] = (_, v, a) => Round(v, a),
        ["replace"] = (_, v, a) =>
        {
            var count = a.Get(2, "count");
            return PyString.Replace(Py.Str(v), Py.Str(a.Get(0, "old", "")), Py.Str(a.Get(1, "new", "")), count is null ? -1 : JinjaArgs.ToInt(count, "replace"));
        },
        ["reverse"] = (_, v, _) => v is string s ? string.Concat(Enumerable.Reverse(Py.Chars(s))) : Enumerable.Reverse(Py.Iterate(v)).ToList(),
        ["items"] = (_, v, _) => v switch
        {
            JinjaDict d => Pairs(d),
            JinjaUndefined => new List<object?>(),
            _ => throw new TemplateException($"items: can only get item pairs from a mapping, not '{Py.TypeName(v)}'"),
        },
        ["dictsort"] = (_, v, a) => DictSort(v, a),
        ["sort"] = (_, v, a) =>
        {
            bool reverse = Py.Truthy(a.Get(0, "reverse", false));
            bool caseSensitive = Py.Truthy(a.Get(1, "case_sensitive", false));
            var attr = JinjaArgs.OptString(a.Get(2, "attribute"));
            return SortList(Py.Iterate(v).ToList(), x => attr != null ? JinjaRenderer.GetItem(x, attr) : x, caseSensitive, reverse);
        },
        ["unique"] = (_, v, a) => Unique(v, a),
        ["min"] = (_, v, a) => MinMax(v, a, min: true),
        ["max"] = (_, v, a) => MinMax(v, a, min: false),
        ["sum"] = (_, v, a) =>
        {
            var attr = JinjaArgs.OptString(a.Get(0, "attribute"));
            object? total = a.Get(1, "start", 0L);
            foreach (var x in Py.Iterate(v)) total = Py.Binary("+", total, attr != null ? JinjaRenderer.GetItem(x, attr) : x);
            return total;
        },
        ["indent"] = (_, v, a) => Indent(v, a),
        ["attr"] = (_, v, a) => JinjaRenderer.GetAttr(v, Py.Str(a.Get(0, "name", ""))),
        ["format"] = (_, v, a) => Py.Binary("%", Py.Str(v), a.Positional.ToArray()),
        ["wordcount"] = (_, v, _) => (long)Words().Matches(Py.Str(v)).Count,
        ["center"] = (_, v, a) => PyString.Center(Py.Str(v), JinjaArgs.ToInt(a.Get(0, "width", 80L), "center"), ' '),
        ["batch"] = (_, v, a) => Batch(v, a),
        ["map"] = Map,
        ["select"] = (r, v, a) => Select(r, v, a, want: true),
        ["reject"] = (r, v, a) => Select(r, v, a, want: false),
        ["selectattr"] = (r, v, a) => SelectAttr(r, v, a, "selectattr", want: true),
        ["rejectattr"] = (r, v, a) => SelectAttr(r, v, a, "rejectattr", want: false),
    };

    public static bool IsKnown(string name) => s_filters.ContainsKey(name);

    public static object? Apply(JinjaRenderer r, string name, object? value, JinjaArgs args) =>
        s_filters.TryGetValue(name, out var filter) ? filter(r, value, args) : throw new TemplateException($"No filter named '{name}'.");

    private static List<object?> Pairs(JinjaDict d) => d.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList();

    private static string ToJson(object? value, JinjaArgs a)
    {
        string? indent = a.Get(0, "indent") switch { null => null, long n => new string(' ', PyString.Padded(n)), string s => s, _ => null };
        var seps = a.Get(-1, "separators") as IList<object?>;
        bool sortKeys = Py.Truthy(a.Get(-1, "sort_keys", false));
        bool ensureAscii = Py.Truthy(a.Get(-1, "ensure_ascii", false));
        return JinjaJson.Dumps(value, indent, seps != null ? Py.Str(seps[0]) : null, seps != null ? Py.Str(seps[1]) : null, sortKeys, ensureAscii);
    }

    private static object? Default(object? value, JinjaArgs a)
    {
        var fallback = a.Get(0, "default_value", "");
        bool boolean = Py.Truthy(a.Get(1, "boolean", false));
        return value is JinjaUndefined || (boolean && !Py.Truthy(value)) ? fallback : value;
    }

    private static string Join(object? value, JinjaArgs a)
    {
        string sep = Py.Str(a.Get(0, "d", ""));
        var attr = JinjaArgs.OptString(a.Get(1, "attribute"));
        return PyString.Join(sep, Py.Iterate(value).Select(x => Py.Str(attr != null ? JinjaRenderer.GetItem(x, attr) : x)).ToList());
    }

    private static string Escape(object? value) =>
        Py.Str(value).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");

    private static object? ToPyFloat(object? value, object? fallback) => value switch
    {
        double d => d,
        long l => (double)l,
        bool b => b ? 1.0 : 0.0,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => fallback,
    };

    private static double Round(object? value, JinjaArgs a)
    {
        long precision = JinjaArgs.ToInt(a.Get(0, "precision", 0L), "round");
        string method = Py.Str(a.Get(1, "method", "common"));
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

    private static List<object?> DictSort(object? value, JinjaArgs a)
    {
        if (value is not JinjaDict d) throw new TemplateException("dictsort: expected a mapping");
        bool caseSensitive = Py.Truthy(a.Get(0, "case_sensitive", false));
        string by = Py.Str(a.Get(1, "by", "key"));
        bool reverse = Py.Truthy(a.Get(2, "reverse", false));
        int pos = by == "value" ? 1 : 0;
        return SortList(Pairs(d), x => ((object?[])x!)[pos], caseSensitive, reverse);
    }

    private static List<object?> Unique(object? value, JinjaArgs a)
    {
        bool caseSensitive = Py.Truthy(a.Get(0, "case_sensitive", false));
        var attr = JinjaArgs.OptString(a.Get(1, "attribute"));
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var x in Py.Iterate(value))
        {
            var key = attr != null ? JinjaRenderer.GetItem(x, attr) : x;
            if (!caseSensitive && key is string ks) key = ks.ToLowerInvariant();
            TemplateBudget.Current?.Work(seen.Count);
            if (seen.Any(s => Py.AreEqual(s, key))) continue;
            seen.Add(key);
            result.Add(x);
        }
        return result;
    }

    private static object? MinMax(object? value, JinjaArgs a, bool min)
    {
        bool caseSensitive = Py.Truthy(a.Get(0, "case_sensitive", false));
        var attr = JinjaArgs.OptString(a.Get(1, "attribute"));
        var items = Py.Iterate(value);
        if (items.Count == 0) return new JinjaUndefined("No aggregated item, sequence was empty.");
        var sorted = SortList(items.ToList(), x => attr != null ? JinjaRenderer.GetItem(x, attr) : x, caseSensitive, false);
        return min ? sorted[0] : sorted[^1];
    }

    private static string Indent(object? value, JinjaArgs a)
    {
        var widthArg = a.Get(0, "width", 4L);
        string indention = widthArg as string ?? new string(' ', PyString.Padded(JinjaArgs.ToInt(widthArg, "indent")));
        bool first = Py.Truthy(a.Get(1, "first", false));
        bool blank = Py.Truthy(a.Get(2, "blank", false));
        string text = Py.Str(value);
        var lines = PyString.SplitLines(text + "\n");
        TemplateBudget.Current?.String(text.Length + (lines.Count + 1L) * indention.Length);
        string rv;
        if (blank) rv = string.Join("\n" + indention, lines);
        else
        {
            rv = lines[0];
            if (lines.Count > 1) rv += "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? indention + l : l));
        }
        return first ? indention + rv : rv;
    }

    private static List<object?> Batch(object? value, JinjaArgs a)
    {
        int size = (int)JinjaArgs.ToInt(a.Get(0, "linecount", 1L), "batch");
        var fill = a.Get(1, "fill_with");
        bool hasFill = a.Has(1, "fill_with");
        if (hasFill) TemplateBudget.Current?.Collection(size);
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

    private static List<object?> Map(JinjaRenderer r, object? value, JinjaArgs a)
    {
        var items = Py.Iterate(value);
        var attr = a.Keywords.FirstOrDefault(k => k.Key == "attribute");
        if (attr.Key != null)
        {
            var def = a.Keywords.FirstOrDefault(k => k.Key == "default");
            return items.Select(x =>
            {
                var v = JinjaRenderer.GetItem(x, attr.Value);
                return v is JinjaUndefined && def.Key != null ? def.Value : v;
            }).ToList();
        }
        if (a.Count == 0) return items.ToList();
        string filter = Py.Str(a.Positional[0]);
        var rest = new JinjaArgs(a.Positional.Skip(1).ToList(), a.Keywords);
        return items.Select(x => Apply(r, filter, x, rest)).ToList();
    }

    private static List<object?> Select(JinjaRenderer r, object? value, JinjaArgs a, bool want)
    {
        var items = Py.Iterate(value);
        if (a.Count == 0) return items.Where(x => Py.Truthy(x) == want).ToList();
        string test = Py.Str(a.Positional[0]);
        var rest = a.Positional.Skip(1).ToList();
        return items.Where(x => JinjaTests.Apply(test, x, rest) == want).ToList();
    }

    private static List<object?> SelectAttr(JinjaRenderer r, object? value, JinjaArgs a, string name, bool want)
    {
        var items = Py.Iterate(value);
        if (a.Count == 0) throw new TemplateException($"{name}: missing attribute");
        var attr = a.Positional[0];
        if (a.Count == 1) return items.Where(x => Py.Truthy(GetAttrPath(x, attr)) == want).ToList();
        string test = Py.Str(a.Positional[1]);
        var rest = a.Positional.Skip(2).ToList();
        return items.Where(x => JinjaTests.Apply(test, GetAttrPath(x, attr), rest) == want).ToList();
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

    [GeneratedRegex(@"\w+")]
    private static partial Regex Words();

    /// <summary>jinja2's title filter: capitalizes each word (words split at whitespace, -, (, {, [, &lt;).</summary>
    private static string Title(string s) =>
        string.Concat(WordBeginningSplit().Split(s).Where(x => x.Length > 0).Select(item => item[..1].ToUpperInvariant() + item[1..].ToLowerInvariant()));
}
