using System.Globalization;
using System.Text;

namespace R1Sharp.Tokenization.Templates;

/// <summary>Python semantics for template values: truthiness, str()/repr(), ==, ordering, arithmetic, len, iteration.</summary>
internal static class Py
{
    public static bool IsUndefined(object? v) => v is JinjaUndefined;

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        JinjaUndefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        System.Collections.ICollection c => c.Count > 0,
        _ => true,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        JinjaUndefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        object?[] => "tuple",
        JinjaDict => "dict",
        JinjaNamespace => "Namespace",
        _ => v.GetType().Name,
    };

    // ---- str() and repr() ----

    public static string Str(object? v) => v switch
    {
        null => "None",
        JinjaUndefined => "",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        _ => Repr(v),
    };

    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v, 0);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? v, int level)
    {
        var budget = TemplateBudget.Current;
        budget?.Nesting(level);
        switch (v)
        {
            case string s: AppendStringRepr(sb, s); break;
            case List<object?> list:
                sb.Append('[');
                for (int i = 0; i < list.Count; i++) { if (i > 0) sb.Append(", "); AppendRepr(sb, list[i], level + 1); }
                sb.Append(']');
                break;
            case object?[] tuple:
                sb.Append('(');
                for (int i = 0; i < tuple.Length; i++) { if (i > 0) sb.Append(", "); AppendRepr(sb, tuple[i], level + 1); }
                if (tuple.Length == 1) sb.Append(',');
                sb.Append(')');
                break;
            case JinjaDict dict:
                sb.Append('{');
                bool first = true;
                foreach (var kv in dict)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendRepr(sb, kv.Key, level + 1); sb.Append(": "); AppendRepr(sb, kv.Value, level + 1);
                }
                sb.Append('}');
                break;
            case JinjaNamespace ns:
                sb.Append("<Namespace {");
                bool f2 = true;
                foreach (var kv in ns.Attributes)
                {
                    if (!f2) sb.Append(", ");
                    f2 = false;
                    AppendStringRepr(sb, kv.Key); sb.Append(": "); AppendRepr(sb, kv.Value, level + 1);
                }
                sb.Append("}>");
                break;
            case JinjaUndefined: break; // jinja2: str(Undefined) == ""; repr is not reachable from templates in practice
            case null or bool or long or double: sb.Append(Str(v)); break;
            default: sb.Append(ObjectRepr(v)); break;
        }
        budget?.Building(sb.Length);
    }

    /// <summary>What Python prints for functions, methods and other objects (without the memory address).</summary>
    private static string ObjectRepr(object v) => v switch
    {
        JinjaBoundMethod m => $"<built-in method {m.Name} of {TypeName(m.Target)} object>",
        IJinjaCallable => "<function>",
        JinjaLoop or JinjaRenderer.JinjaRecursiveLoop => "<LoopContext>",
        _ => $"<{TypeName(v)} object>",
    };

    /// <summary>Python's repr of a str: single quotes unless the text has ' and no ".</summary>
    private static void AppendStringRepr(StringBuilder sb, string s)
    {
        char q = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(q);
        foreach (char c in s)
        {
            if (c == q || c == '\\') { sb.Append('\\').Append(c); }
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        sb.Append(q);
    }

    /// <summary>Python's float repr: shortest round-trip digits; scientific when the exponent is below -4 or at least 16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        string r = d.ToString("E16", CultureInfo.InvariantCulture);
        // Find the shortest precision that round-trips.
        for (int p = 0; p <= 16; p++)
        {
            string t = d.ToString("E" + p, CultureInfo.InvariantCulture);
            if (double.Parse(t, CultureInfo.InvariantCulture) == d) { r = t; break; }
        }
        bool neg = r[0] == '-';
        if (neg) r = r[1..];
        int e = r.IndexOf('E');
        string mant = r[..e].Replace(".", "");
        int exp = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
        mant = mant.TrimEnd('0');
        if (mant.Length == 0) mant = "0";
        string body;
        if (exp < -4 || exp >= 16)
        {
            body = mant.Length == 1 ? mant : mant[0] + "." + mant[1..];
            body += "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        else if (exp < 0)
        {
            body = "0." + new string('0', -exp - 1) + mant;
        }
        else
        {
            int intDigits = exp + 1;
            if (mant.Length <= intDigits) body = mant + new string('0', intDigits - mant.Length) + ".0";
            else body = mant[..intDigits] + "." + mant[intDigits..];
        }
        return neg ? "-" + body : body;
    }

    // ---- equality and ordering ----

    private static bool IsNumber(object? v) => v is long or double or bool;

    private static double ToDouble(object v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => throw new InvalidCastException() };

    private static long ToLong(object v) => v switch { long l => l, bool b => b ? 1 : 0, _ => throw new InvalidCastException() };

    public static bool AreEqual(object? a, object? b) => AreEqual(a, b, 0);

    private static bool AreEqual(object? a, object? b, int level)
    {
        if (a is null || b is null) return a is null && b is null;
        TemplateBudget.Current?.Nesting(level);
        if (a is JinjaUndefined || b is JinjaUndefined) return a is JinjaUndefined && b is JinjaUndefined;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) == ToDouble(b);
            return ToLong(a) == ToLong(b);
        }
        if (a is string sa) return b is string sb && string.Equals(sa, sb, StringComparison.Ordinal);
        if (a is List<object?> la) return b is List<object?> lb && SeqEqual(la, lb, level);
        if (a is object?[] ta) return b is object?[] tb && SeqEqual(ta, tb, level);
        if (a is JinjaDict da)
        {
            if (b is not JinjaDict db || da.Count != db.Count) return false;
            foreach (var kv in da)
                if (!db.TryGetValue(kv.Key, out var ov) || !AreEqual(kv.Value, ov, level + 1)) return false;
            return true;
        }
        return ReferenceEquals(a, b) || a.Equals(b);
    }

    private static bool SeqEqual(IList<object?> a, IList<object?> b, int level)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++) if (!AreEqual(a[i], b[i], level + 1)) return false;
        return true;
    }

    /// <summary>Python's ordering (&lt; &gt; etc.): numbers, strings (by code point), lists/tuples lexicographically.</summary>
    public static int Compare(object? a, object? b, string op) => Compare(a, b, op, 0);

    private static int Compare(object? a, object? b, string op, int level)
    {
        TemplateBudget.Current?.Nesting(level);
        if (a is not null && b is not null && IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a).CompareTo(ToDouble(b));
            return ToLong(a).CompareTo(ToLong(b));
        }
        if (a is string sa && b is string sb) return CompareCodePoints(sa, sb);
        if (a is IList<object?> la && b is IList<object?> lb && a.GetType() == b.GetType())
        {
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                if (AreEqual(la[i], lb[i], level + 1)) continue;
                return Compare(la[i], lb[i], op, level + 1);
            }
            return la.Count.CompareTo(lb.Count);
        }
        throw new TemplateException($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    private static int CompareCodePoints(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            int ca = ConvertToUtf32OrSelf(a, i, out int na), cb = ConvertToUtf32OrSelf(b, j, out int nb);
            if (ca != cb) return ca.CompareTo(cb);
            i += na; j += nb;
        }
        return (a.Length - i).CompareTo(b.Length - j);
    }

    private static int ConvertToUtf32OrSelf(string s, int i, out int n)
    {
        if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { n = 2; return char.ConvertToUtf32(s[i], s[i + 1]); }
        n = 1;
        return s[i];
    }


    // ---- strings as sequences of code points ----

    /// <summary>The code points of a string as separate strings (Python indexes str by code point).</summary>
    public static List<string> Chars(string s)
    {
        TemplateBudget.Current?.Collection(s.Length);
        var list = new List<string>(s.Length);
        for (int i = 0; i < s.Length;)
        {
            ConvertToUtf32OrSelf(s, i, out int n);
            list.Add(s.Substring(i, n));
            i += n;
        }
        return list;
    }

    /// <summary>True when every char is a code point of its own (no surrogates), so char indexes are Python's indexes.</summary>
    public static bool IsSimple(string s) => s.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0;

    private static long CodePoints(string s)
    {
        long n = 0;
        for (int i = 0; i < s.Length; i += ConvertToUtf32OrSelfLength(s, i)) n++;
        return n;
    }

    private static int ConvertToUtf32OrSelfLength(string s, int i) =>
        char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;

    public static long Len(object? v) => v switch
    {
        string s => IsSimple(s) ? s.Length : CodePoints(s),
        System.Collections.ICollection c => c.Count,
        JinjaUndefined => 0,
        _ => throw new TemplateException($"object of type '{TypeName(v)}' has no len()"),
    };

    /// <summary>Python iteration: list/tuple items, dict keys, str code points; Undefined iterates as empty.</summary>
    public static IReadOnlyList<object?> Iterate(object? v) => v switch
    {
        List<object?> l => l,
        object?[] t => t,
        JinjaDict d => d.Keys.Cast<object?>().ToList(),
        string s => Chars(s).Cast<object?>().ToList(),
        JinjaUndefined => [],
        _ => throw new TemplateException($"'{TypeName(v)}' object is not iterable"),
    };

    public static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal)
            : throw new TemplateException($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        JinjaDict d => item is not null && d.ContainsKey(item),
        IList<object?> l => l.Any(x => AreEqual(x, item)),
        JinjaUndefined => false,
        _ => throw new TemplateException($"argument of type '{TypeName(container)}' is not iterable"),
    };

    // ---- arithmetic ----

    private static TemplateException Unsupported(string op, object? a, object? b) =>
        a is JinjaUndefined || b is JinjaUndefined
            ? new TemplateException($"'{(a as JinjaUndefined ?? b as JinjaUndefined)!.Name}' is undefined")
            : new TemplateException($"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'");

    public static object? Binary(string op, object? a, object? b)
    {
        switch (op)
        {
            case "+":
                if (a is string s1 && b is string s2) { TemplateBudget.Current?.String((long)s1.Length + s2.Length); return s1 + s2; }
                if (a is List<object?> l1 && b is List<object?> l2) { TemplateBudget.Current?.Collection((long)l1.Count + l2.Count); return new List<object?>(l1.Concat(l2)); }
                if (a is object?[] t1 && b is object?[] t2) { TemplateBudget.Current?.Collection((long)t1.Length + t2.Length); return t1.Concat(t2).ToArray(); }
                if (IsNumber(a) && IsNumber(b)) return a is double || b is double ? (object)(ToDouble(a!) + ToDouble(b!)) : (object)checked(ToLong(a!) + ToLong(b!));
                throw a is string || b is string
                    ? (a is JinjaUndefined || b is JinjaUndefined ? Unsupported(op, a, b) : new TemplateException($"can only concatenate str (not \"{TypeName(a is string ? b : a)}\") to str"))
                    : Unsupported(op, a, b);
            case "-":
                if (IsNumber(a) && IsNumber(b)) return a is double || b is double ? (object)(ToDouble(a!) - ToDouble(b!)) : (object)checked(ToLong(a!) - ToLong(b!));
                throw Unsupported(op, a, b);
            case "*":
                if (IsNumber(a) && IsNumber(b)) return a is double || b is double ? (object)(ToDouble(a!) * ToDouble(b!)) : (object)checked(ToLong(a!) * ToLong(b!));
                if (a is string rs && b is long or bool) return Repeat(rs, ToLong(b!));
                if (b is string rs2 && a is long or bool) return Repeat(rs2, ToLong(a!));
                if (a is List<object?> rl && b is long n1)
                {
                    TemplateBudget.Current?.Collection(Times(rl.Count, n1));
                    return Enumerable.Repeat(rl, (int)Math.Max(0, n1)).SelectMany(x => x).ToList();
                }
                throw Unsupported(op, a, b);
            case "/":
                if (IsNumber(a) && IsNumber(b))
                {
                    double den = ToDouble(b!);
                    if (den == 0) throw new TemplateException("division by zero");
                    return ToDouble(a!) / den;
                }
                throw Unsupported(op, a, b);
            case "//":
                if (IsNumber(a) && IsNumber(b))
                {
                    if (a is double || b is double)
                    {
                        double den = ToDouble(b!);
                        if (den == 0) throw new TemplateException("float floor division by zero");
                        return Math.Floor(ToDouble(a!) / den);
                    }
                    long x = ToLong(a!), y = ToLong(b!);
                    if (y == 0) throw new TemplateException("integer division or modulo by zero");
                    long q = x / y;
                    if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
                    return q;
                }
                throw Unsupported(op, a, b);
            case "%":
                if (IsNumber(a) && IsNumber(b))
                {
                    if (a is double || b is double)
                    {
                        double x = ToDouble(a!), y = ToDouble(b!);
                        if (y == 0) throw new TemplateException("float modulo");
                        double m = x % y;
                        if (m != 0 && (m < 0) != (y < 0)) m += y;
                        return m;
                    }
                    long xi = ToLong(a!), yi = ToLong(b!);
                    if (yi == 0) throw new TemplateException("integer division or modulo by zero");
                    long r = xi % yi;
                    if (r != 0 && (r < 0) != (yi < 0)) r += yi;
                    return r;
                }
                if (a is string fmt)
                {
                    string formatted = PercentFormat(fmt, b);
                    TemplateBudget.Current?.String(formatted.Length);
                    return formatted;
                }
                throw Unsupported(op, a, b);
            case "**":
                if (IsNumber(a) && IsNumber(b))
                {
                    if (a is not double && b is not double && ToLong(b!) >= 0) return IntPow(ToLong(a!), ToLong(b!));
                    return Math.Pow(ToDouble(a!), ToDouble(b!));
                }
                throw Unsupported(op, a, b);
            default:
                throw new TemplateException("unknown operator " + op);
        }
    }

    private static string Repeat(string s, long n)
    {
        if (n <= 0 || s.Length == 0) return "";
        long length = Times(s.Length, n);
        TemplateBudget.Current?.String(length);
        if (length > int.MaxValue) throw new TemplateException($"template error: a string of {length:N0} characters is too long");
        return string.Create((int)length, s, static (span, unit) =>
        {
            unit.CopyTo(span);
            for (int filled = unit.Length; filled < span.Length; filled *= 2)
                span[..Math.Min(filled, span.Length - filled)].CopyTo(span[filled..]);
        });
    }

    /// <summary>count * n, saturating at long.MaxValue (sizes compared against limits).</summary>
    private static long Times(long count, long n) => n <= 0 ? 0 : count == 0 ? 0 : n > long.MaxValue / count ? long.MaxValue : count * n;

    /// <summary>Integer power by squaring; beyond 64 bits (where Python switches to big integers) it is an error.</summary>
    private static long IntPow(long bas, long e)
    {
        long result = 1;
        checked
        {
            while (e > 0)
            {
                if ((e & 1) != 0) result *= bas;
                e >>= 1;
                if (e > 0) bas *= bas;
            }
        }
        return result;
    }

    /// <summary>printf-style <c>'%s' % x</c> for %s, %d, %r, %%.</summary>
    private static string PercentFormat(string fmt, object? args)
    {
        var items = args is object?[] t ? t : [args];
        var sb = new StringBuilder();
        int k = 0;
        for (int i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%') { sb.Append(fmt[i]); continue; }
            if (++i >= fmt.Length) throw new TemplateException("incomplete format");
            char c = fmt[i];
            if (c == '%') { sb.Append('%'); continue; }
            if (k >= items.Length) throw new TemplateException("not enough arguments for format string");
            object? v = items[k++];
            TemplateBudget.Current?.Building(sb.Length);
            sb.Append(c switch
            {
                's' => Str(v),
                'r' => Repr(v),
                'd' or 'i' => v is double dd ? ((long)Math.Truncate(dd)).ToString(CultureInfo.InvariantCulture) : Str(v),
                _ => throw new TemplateException($"unsupported format character '{c}'"),
            });
        }
        return sb.ToString();
    }
}
