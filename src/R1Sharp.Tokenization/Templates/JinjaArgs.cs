namespace R1Sharp.Tokenization.Templates;

/// <summary>The arguments of a filter, test or method call: positional values and keyword values, looked up the way
/// Python binds parameters (by position first, then by name), with the conversions builtins need.</summary>
internal readonly record struct JinjaArgs(List<object?> Positional, List<KeyValuePair<string, object?>> Keywords)
{
    public int Count => Positional.Count;

    /// <summary>The parameter at <paramref name="index"/> (-1: keyword-only) or named <paramref name="name"/>, else the fallback.</summary>
    public object? Get(int index, string name, object? fallback = null)
    {
        if (index >= 0 && index < Positional.Count) return Positional[index];
        foreach (var kv in Keywords) if (kv.Key == name) return kv.Value;
        return fallback;
    }

    /// <summary>Whether the parameter was passed at all (at its position or by name).</summary>
    public bool Has(int index, string name) => index >= 0 && index < Positional.Count || Keywords.Any(k => k.Key == name);

    /// <summary>None and Undefined as null; anything else as its str().</summary>
    public static string? OptString(object? v) => v is null or JinjaUndefined ? null : v as string ?? Py.Str(v);

    public static long ToInt(object? v, string what) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)d,
        _ => throw new TemplateException($"{what}: expected an integer, got '{Py.TypeName(v)}'"),
    };
}
