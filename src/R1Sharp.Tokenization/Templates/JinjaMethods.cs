namespace R1Sharp.Tokenization.Templates;

/// <summary>The Python methods templates call on values (<c>s.split(',')</c>, <c>d.items()</c>, <c>loop.cycle(...)</c>):
/// one table per receiver type. Methods that would modify a list or dict are listed (so they resolve, as attributes
/// do in Python) but refused when called, as transformers' ImmutableSandboxedEnvironment refuses them.</summary>
internal static class JinjaMethods
{
    private delegate object? Method<in T>(T target, JinjaArgs a);

    // A null entry is a method that exists but modifies its receiver: refused when called.

    private static readonly Dictionary<string, Method<string>> s_str = new(StringComparer.Ordinal)
    {
        ["split"] = (s, a) => PyString.Split(s, JinjaArgs.OptString(a.Get(0, "sep")), JinjaArgs.ToInt(a.Get(1, "maxsplit", -1L), "split"), false),
        ["rsplit"] = (s, a) => PyString.Split(s, JinjaArgs.OptString(a.Get(0, "sep")), JinjaArgs.ToInt(a.Get(1, "maxsplit", -1L), "rsplit"), true),
        ["strip"] = (s, a) => PyString.Strip(s, JinjaArgs.OptString(a.Get(0, "chars")), true, true),
        ["lstrip"] = (s, a) => PyString.Strip(s, JinjaArgs.OptString(a.Get(0, "chars")), true, false),
        ["rstrip"] = (s, a) => PyString.Strip(s, JinjaArgs.OptString(a.Get(0, "chars")), false, true),
        ["startswith"] = (s, a) => Affixes(a, "startswith").Any(o => s.StartsWith(o, StringComparison.Ordinal)),
        ["endswith"] = (s, a) => Affixes(a, "endswith").Any(o => s.EndsWith(o, StringComparison.Ordinal)),
        ["upper"] = (s, _) => s.ToUpperInvariant(),
        ["lower"] = (s, _) => s.ToLowerInvariant(),
        ["casefold"] = (s, _) => s.ToLowerInvariant(),
        ["swapcase"] = (s, _) => string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c))),
        ["replace"] = (s, a) => PyString.Replace(s, Py.Str(a.Get(0, "old", "")), Py.Str(a.Get(1, "new", "")), JinjaArgs.ToInt(a.Get(2, "count", -1L), "replace")),
        ["title"] = (s, _) => PyString.Title(s),
        ["capitalize"] = (s, _) => PyString.Capitalize(s),
        ["find"] = (s, a) => (long)s.IndexOf(Py.Str(a.Get(0, "sub", "")), StringComparison.Ordinal),
        ["rfind"] = (s, a) => (long)s.LastIndexOf(Py.Str(a.Get(0, "sub", "")), StringComparison.Ordinal),
        ["index"] = (s, a) => s.IndexOf(Py.Str(a.Get(0, "sub", "")), StringComparison.Ordinal) is int i and >= 0 ? (long)i : throw new TemplateException("substring not found"),
        ["count"] = (s, a) => Count(s, Py.Str(a.Get(0, "sub", ""))),
        ["join"] = (s, a) => PyString.Join(s, Py.Iterate(a.Get(0, "iterable")).Select(x => x is string xs ? xs
            : throw new TemplateException($"sequence item: expected str instance, {Py.TypeName(x)} found")).ToList()),
        ["splitlines"] = (s, _) => PyString.SplitLines(s).Cast<object?>().ToList(),
        ["isdigit"] = (s, _) => s.Length > 0 && s.All(char.IsDigit),
        ["isnumeric"] = (s, _) => s.Length > 0 && s.All(char.IsDigit),
        ["isdecimal"] = (s, _) => s.Length > 0 && s.All(char.IsDigit),
        ["isalpha"] = (s, _) => s.Length > 0 && s.All(char.IsLetter),
        ["isalnum"] = (s, _) => s.Length > 0 && s.All(char.IsLetterOrDigit),
        ["isspace"] = (s, _) => s.Length > 0 && s.All(JinjaLexer.IsPyWhitespace),
        ["islower"] = (s, _) => s.Any(char.IsLetter) && s == s.ToLowerInvariant(),
        ["isupper"] = (s, _) => s.Any(char.IsLetter) && s == s.ToUpperInvariant(),
        ["removeprefix"] = (s, a) => Py.Str(a.Get(0, "prefix", "")) is var p && s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s,
        ["removesuffix"] = (s, a) => Py.Str(a.Get(0, "suffix", "")) is var p && p.Length > 0 && s.EndsWith(p, StringComparison.Ordinal) ? s[..^p.Length] : s,
        ["zfill"] = (s, a) => ZeroFill(s, JinjaArgs.ToInt(a.Get(0, "width", 0L), "zfill")),
        ["ljust"] = (s, a) => s.PadRight(Width(s, JinjaArgs.ToInt(a.Get(0, "width", 0L), "ljust")), Py.Str(a.Get(1, "fillchar", " "))[0]),
        ["rjust"] = (s, a) => s.PadLeft(Width(s, JinjaArgs.ToInt(a.Get(0, "width", 0L), "rjust")), Py.Str(a.Get(1, "fillchar", " "))[0]),
        ["center"] = (s, a) =>
        {
            long w = JinjaArgs.ToInt(a.Get(0, "width", 0L), "center");
            return s.Length >= w ? s : PyString.Center(s, w, Py.Str(a.Get(1, "fillchar", " "))[0]);
        },
        ["partition"] = (s, a) => Partition(s, Py.Str(a.Get(0, "sep", "")), fromRight: false),
        ["rpartition"] = (s, a) => Partition(s, Py.Str(a.Get(0, "sep", "")), fromRight: true),
        ["format"] = (s, a) => PyString.Format(s, a),
    };

    private static readonly Dictionary<string, Method<JinjaDict>?> s_dict = new(StringComparer.Ordinal)
    {
        ["get"] = (d, a) => a.Get(0, "key") is { } key && d.TryGetValue(key, out var v) ? v : a.Get(1, "default"),
        ["items"] = (d, _) => d.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList(),
        ["keys"] = (d, _) => d.Keys.Cast<object?>().ToList(),
        ["values"] = (d, _) => d.Values.ToList(),
        ["copy"] = (d, _) =>
        {
            var c = new JinjaDict();
            foreach (var kv in d) c[kv.Key] = kv.Value;
            return c;
        },
        ["pop"] = null, ["update"] = null, ["setdefault"] = null, ["clear"] = null, ["popitem"] = null,
    };

    private static readonly Dictionary<string, Method<List<object?>>?> s_list = new(StringComparer.Ordinal)
    {
        ["index"] = (l, a) => a.Get(0, "value") is var x && l.FindIndex(y => Py.AreEqual(x, y)) is int i and >= 0 ? (long)i
            : throw new TemplateException($"{Py.Repr(a.Get(0, "value"))} is not in list"),
        ["count"] = (l, a) => (long)l.Count(y => Py.AreEqual(a.Get(0, "value"), y)),
        ["copy"] = (l, _) => new List<object?>(l),
        ["append"] = null, ["extend"] = null, ["insert"] = null, ["pop"] = null, ["remove"] = null, ["clear"] = null,
        ["sort"] = null, ["reverse"] = null,
    };

    private static readonly Dictionary<string, Method<object?[]>?> s_tuple = new(StringComparer.Ordinal)
    {
        ["index"] = (t, a) => a.Get(0, "value") is var x && Array.FindIndex(t, y => Py.AreEqual(x, y)) is int i and >= 0 ? (long)i
            : throw new TemplateException($"{Py.Repr(a.Get(0, "value"))} is not in tuple"),
        ["count"] = (t, a) => (long)t.Count(y => Py.AreEqual(a.Get(0, "value"), y)),
    };

    private static readonly Dictionary<string, Method<JinjaLoop>?> s_loop = new(StringComparer.Ordinal)
    {
        ["cycle"] = (loop, a) => a.Count > 0 ? a.Positional[loop.Index0 % a.Count] : throw new TemplateException("no items for cycling given"),
        ["changed"] = (loop, a) =>
        {
            var args = a.Positional;
            bool changed = loop.LastChanged == null || loop.LastChanged.Count != args.Count
                || loop.LastChanged.Zip(args).Any(p => !Py.AreEqual(p.First, p.Second));
            loop.LastChanged = args;
            return changed;
        },
    };

    /// <summary>Whether <paramref name="target"/> has a method <paramref name="name"/> (refused ones included).</summary>
    public static bool Has(object? target, string name) => target switch
    {
        string => s_str.ContainsKey(name),
        JinjaDict => s_dict.ContainsKey(name),
        List<object?> => s_list.ContainsKey(name),
        object?[] => s_tuple.ContainsKey(name),
        JinjaLoop => s_loop.ContainsKey(name),
        _ => false,
    };

    public static object? Call(JinjaBoundMethod m, JinjaArgs args) => m.Target switch
    {
        string s => s_str.TryGetValue(m.Name, out var f) ? f(s, args) : throw new TemplateException($"'str' object has no attribute '{m.Name}'"),
        JinjaDict d when Find(s_dict, m.Name) is { } f => f(d, args),
        List<object?> l when Find(s_list, m.Name) is { } f => f(l, args),
        object?[] t when Find(s_tuple, m.Name) is { } f => f(t, args),
        JinjaLoop loop when Find(s_loop, m.Name) is { } f => f(loop, args),
        _ => throw UnsafeError(m.Target, m.Name),
    };

    private static Method<T>? Find<T>(Dictionary<string, Method<T>?> table, string name) => table.GetValueOrDefault(name);

    private static TemplateException UnsafeError(object target, string name) =>
        new($"access to attribute '{name}' of '{Py.TypeName(target)}' object is unsafe.");

    private static List<string> Affixes(JinjaArgs a, string name) =>
        a.Get(0, "prefix") is var p && p is IList<object?> list ? list.Select(Py.Str).ToList()
            : [p is string ps ? ps : throw new TemplateException($"{name} first arg must be str or a tuple of str")];

    private static long Count(string s, string sub)
    {
        if (sub.Length == 0) return Py.Len(s) + 1;
        long n = 0;
        for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>A padding width: as Python, a width at most the string's length pads nothing.</summary>
    private static int Width(string s, long width) => width <= s.Length ? s.Length : PyString.Padded(width);

    private static string ZeroFill(string s, long width)
    {
        if (s.Length >= width) return s;
        int w = PyString.Padded(width);
        return s.StartsWith('-') || s.StartsWith('+') ? s[0] + new string('0', w - s.Length) + s[1..] : new string('0', w - s.Length) + s;
    }

    private static object?[] Partition(string s, string sep, bool fromRight)
    {
        int i = fromRight ? s.LastIndexOf(sep, StringComparison.Ordinal) : s.IndexOf(sep, StringComparison.Ordinal);
        if (i < 0) return fromRight ? ["", "", s] : [s, "", ""];
        return [s[..i], sep, s[(i + sep.Length)..]];
    }
}
