namespace R1Sharp.Tokenization.Templates;

/// <summary>jinja2's tests (<c>value is name(args)</c>), one table from name to implementation.</summary>
internal static class JinjaTests
{
    /// <param name="name">the name the template used (for messages: aliases such as equalto name themselves)</param>
    private delegate bool Test(string name, object? value, List<object?> args);

    private static readonly Dictionary<string, Test> s_tests = new(StringComparer.Ordinal)
    {
        ["defined"] = (_, v, _) => v is not JinjaUndefined,
        ["undefined"] = (_, v, _) => v is JinjaUndefined,
        ["none"] = (_, v, _) => v is null,
        ["string"] = (_, v, _) => v is string,
        ["mapping"] = (_, v, _) => v is JinjaDict,
        ["iterable"] = (_, v, _) => v is string or System.Collections.ICollection or JinjaUndefined,
        ["sequence"] = (_, v, _) => v is string or System.Collections.ICollection,
        ["number"] = (_, v, _) => v is long or double or bool,
        ["integer"] = (_, v, _) => v is long,
        ["float"] = (_, v, _) => v is double,
        ["boolean"] = (_, v, _) => v is bool,
        ["true"] = (_, v, _) => v is true,
        ["false"] = (_, v, _) => v is false,
        ["callable"] = (_, v, _) => v is IJinjaCallable or JinjaBoundMethod,
        ["sameas"] = SameAs,
        ["eq"] = Equal,
        ["equalto"] = Equal,
        ["=="] = Equal,
        ["ne"] = NotEqual,
        ["!="] = NotEqual,
        ["lt"] = Less,
        ["lessthan"] = Less,
        ["<"] = Less,
        ["le"] = (n, v, a) => Py.Compare(v, Arg(n, a), "<=") <= 0,
        ["<="] = (n, v, a) => Py.Compare(v, Arg(n, a), "<=") <= 0,
        ["gt"] = Greater,
        ["greaterthan"] = Greater,
        [">"] = Greater,
        ["ge"] = (n, v, a) => Py.Compare(v, Arg(n, a), ">=") >= 0,
        [">="] = (n, v, a) => Py.Compare(v, Arg(n, a), ">=") >= 0,
        ["in"] = (n, v, a) => Py.Contains(Arg(n, a), v),
        ["odd"] = (_, v, _) => JinjaArgs.ToInt(v, "odd") % 2 != 0,
        ["even"] = (_, v, _) => JinjaArgs.ToInt(v, "even") % 2 == 0,
        ["divisibleby"] = (n, v, a) => JinjaArgs.ToInt(v, "divisibleby") % JinjaArgs.ToInt(Arg(n, a), "divisibleby") == 0,
        ["lower"] = (_, v, _) => v is string s && s == s.ToLowerInvariant(),
        ["upper"] = (_, v, _) => v is string s && s == s.ToUpperInvariant(),
        ["escaped"] = (_, _, _) => false,
        ["filter"] = (_, v, _) => v is string s && JinjaFilters.IsKnown(s),
        ["test"] = (_, v, _) => v is string s && IsKnown(s),
    };

    public static bool IsKnown(string name) => s_tests.ContainsKey(name);

    public static bool Apply(string name, object? value, List<object?> args) =>
        s_tests.TryGetValue(name, out var test) ? test(name, value, args) : throw new TemplateException($"No test named '{name}'.");

    private static object? Arg(string name, List<object?> args) =>
        args.Count > 0 ? args[0] : throw new TemplateException($"test '{name}' needs an argument");

    /// <summary>Python's `is`: identity; small ints, bools, None and equal interned strings are the same object.</summary>
    private static bool SameAs(string name, object? value, List<object?> args)
    {
        var other = Arg(name, args);
        if (value is null || other is null) return value is null && other is null;
        if (value.GetType() != other.GetType()) return false;
        return value is bool or long or string ? Py.AreEqual(value, other) : ReferenceEquals(value, other);
    }

    private static bool Equal(string name, object? value, List<object?> args) => Py.AreEqual(value, Arg(name, args));
    private static bool NotEqual(string name, object? value, List<object?> args) => !Py.AreEqual(value, Arg(name, args));
    private static bool Less(string name, object? value, List<object?> args) => Py.Compare(value, Arg(name, args), "<") < 0;
    private static bool Greater(string name, object? value, List<object?> args) => Py.Compare(value, Arg(name, args), ">") > 0;
}
