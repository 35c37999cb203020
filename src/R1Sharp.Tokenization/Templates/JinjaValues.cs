namespace R1Sharp.Tokenization.Templates;

// Runtime values of the Jinja interpreter, modelled on the Python objects jinja2 works with:
//   None -> null, bool, int -> long, float -> double, str -> string, list -> List<object?>,
//   tuple -> object?[], dict -> JinjaDict (insertion ordered), plus the types below.

/// <summary>jinja2's default Undefined: falsy, renders as "", iterates as empty; attribute/item access on it
/// gives another Undefined; arithmetic on it is an error.</summary>
internal sealed class JinjaUndefined
{
    public static readonly JinjaUndefined Instance = new("");
    public string Name { get; }
    public JinjaUndefined(string name) => Name = name;
    public override string ToString() => "";
}

/// <summary>A Python dict (insertion ordered, keys compared with Python equality for str/int/float/bool).</summary>
public sealed class JinjaDict : OrderedDictionary<object, object?>
{
    public JinjaDict() : base(PyKeyComparer.Instance) { }
}

/// <summary>jinja2's <c>namespace(...)</c>: a bag of attributes that <c>{% set ns.x = ... %}</c> may change from inner scopes.</summary>
internal sealed class JinjaNamespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>Something callable from a template: globals (range, namespace, raise_exception, ...) and macros.</summary>
internal interface IJinjaCallable
{
    object? Call(JinjaRenderer renderer, List<object?> args, List<KeyValuePair<string, object?>> kwargs);
}

/// <summary>A method looked up on a value (<c>'a,b'.split</c>, <c>d.items</c>, <c>loop.cycle</c>), called later.</summary>
internal sealed class JinjaBoundMethod(object target, string name)
{
    public object Target { get; } = target;
    public string Name { get; } = name;
}

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class JinjaLoop
{
    public required IReadOnlyList<object?> Items { get; init; }
    public int Index0 { get; set; }
    public int Depth0 { get; init; }
    public int Length => Items.Count;

    public object? Get(string name) => name switch
    {
        "index" => (long)(Index0 + 1),
        "index0" => (long)Index0,
        "revindex" => (long)(Length - Index0),
        "revindex0" => (long)(Length - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == Length - 1,
        "length" => (long)Length,
        "depth" => (long)(Depth0 + 1),
        "depth0" => (long)Depth0,
        "previtem" => Index0 > 0 ? Items[Index0 - 1] : new JinjaUndefined("there is no previous item"),
        "nextitem" => Index0 < Length - 1 ? Items[Index0 + 1] : new JinjaUndefined("there is no next item"),
        _ => JinjaMethods.Has(this, name) ? new JinjaBoundMethod(this, name) : new JinjaUndefined(name),
    };

    internal List<object?>? LastChanged;
}

/// <summary>Python equality and hashing for dict keys.</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();
    public new bool Equals(object? x, object? y) => Py.AreEqual(x, y);
    public int GetHashCode(object obj) => obj switch
    {
        string s => s.GetHashCode(StringComparison.Ordinal),
        bool b => b ? 1 : 0,
        long l => l.GetHashCode(),
        double d => d == Math.Floor(d) && Math.Abs(d) < 9e18 ? ((long)d).GetHashCode() : d.GetHashCode(),
        _ => obj.GetHashCode(),
    };
}
