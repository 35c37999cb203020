using System.Globalization;
using System.Text;

namespace R1Sharp.Tokenization.Templates;

/// <summary>The global functions of a chat template: jinja2's (range, namespace, dict) and those HF transformers adds
/// (raise_exception, strftime_now).</summary>
internal static class JinjaGlobals
{
    private delegate object? Function(JinjaArgs args, Func<DateTime> clock);

    private static readonly Dictionary<string, Function> s_functions = new(StringComparer.Ordinal)
    {
        ["range"] = (a, _) => Range(a.Positional),
        ["namespace"] = (a, _) =>
        {
            var ns = new JinjaNamespace();
            foreach (var x in a.Positional)
                if (x is JinjaDict d) foreach (var kv in d) ns.Attributes[Py.Str(kv.Key)] = kv.Value;
            foreach (var kv in a.Keywords) ns.Attributes[kv.Key] = kv.Value;
            return ns;
        },
        ["dict"] = (a, _) =>
        {
            var d = new JinjaDict();
            foreach (var x in a.Positional)
                if (x is JinjaDict src) foreach (var kv in src) d[kv.Key] = kv.Value;
            foreach (var kv in a.Keywords) d[kv.Key] = kv.Value;
            return d;
        },
        ["raise_exception"] = (a, _) => throw new TemplateException(a.Count > 0 ? Py.Str(a.Positional[0]) : "raise_exception"),
        ["strftime_now"] = (a, clock) => Strftime(clock(), a.Count > 0 ? Py.Str(a.Positional[0]) : ""),
    };

    /// <summary>One global bound to the render's clock.</summary>
    private sealed class Global(Function fn, Func<DateTime> clock) : IJinjaCallable
    {
        public object? Call(JinjaRenderer renderer, List<object?> args, List<KeyValuePair<string, object?>> kwargs) => fn(new JinjaArgs(args, kwargs), clock);
    }

    public static void AddTo(JinjaScope scope, Func<DateTime> clock)
    {
        foreach (var (name, fn) in s_functions) scope.Set(name, new Global(fn, clock));
    }

    private static List<object?> Range(List<object?> a)
    {
        long start = 0, stop, step = 1;
        if (a.Count == 1) stop = JinjaArgs.ToInt(a[0], "range");
        else if (a.Count >= 2) { start = JinjaArgs.ToInt(a[0], "range"); stop = JinjaArgs.ToInt(a[1], "range"); if (a.Count > 2) step = JinjaArgs.ToInt(a[2], "range"); }
        else throw new TemplateException("range expected at least 1 argument");
        if (step == 0) throw new TemplateException("range() arg 3 must not be zero");
        var list = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            list.Add(i);
            if (list.Count > 100_000) throw new TemplateException("range too big");
        }
        return list;
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
}
