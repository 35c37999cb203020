using System.Text.Json;

namespace R1Sharp.Tokenization.Templates;

/// <summary>A parsed Jinja template. Renders to exactly what Python's jinja2 renders (in the Environment settings of
/// <see cref="JinjaOptions"/>; by default HF transformers' chat-template environment).</summary>
public sealed class JinjaTemplate
{
    private readonly List<JinjaNode> _body;
    private readonly TemplateLimits _limits;

    public JinjaTemplate(string source, JinjaOptions? options = null)
    {
        options ??= JinjaOptions.Transformers;
        Source = source;
        _limits = options.Limits;
        _body = JinjaParser.Parse(source, options);
    }

    public string Source { get; }

    /// <summary>Clock for strftime_now (tests pin it).</summary>
    public Func<DateTime> Clock { get; init; } = () => DateTime.Now;

    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var root = new JinjaScope(null);
        JinjaGlobals.AddTo(root, Clock);
        var context = new JinjaScope(root);
        foreach (var kv in variables) context.Set(kv.Key, ToValue(kv.Value));
        try
        {
            return new JinjaRenderer(context, _limits).Render(_body);
        }
        catch (InvalidCastException ex) { throw new TemplateException("template error: " + ex.Message, ex); }
        catch (OverflowException ex) { throw new TemplateException("template error: an integer beyond 64 bits", ex); }
    }

    /// <summary>Converts .NET values (strings, numbers, bools, lists, dictionaries, JsonElement) to template values.</summary>
    public static object? ToValue(object? v)
    {
        switch (v)
        {
            case null: return null;
            case string or bool or long or double or JinjaDict or JinjaNamespace or JinjaUndefined or IJinjaCallable: return v;
            case int i: return (long)i;
            case short s: return (long)s;
            case uint u: return (long)u;
            case ulong ul: return (long)ul;
            case float f: return (double)f;
            case decimal m: return (double)m;
            case JsonElement je: return FromJson(je);
            case ChatMessage cm:
            {
                var d = new JinjaDict { ["role"] = cm.Role, ["content"] = cm.Content };
                if (cm.ReasoningContent != null) d["reasoning_content"] = cm.ReasoningContent;
                return d;
            }
            case System.Collections.IDictionary dict:
            {
                var d = new JinjaDict();
                foreach (System.Collections.DictionaryEntry e in dict) d[ToValue(e.Key) ?? "None"] = ToValue(e.Value);
                return d;
            }
            case IEnumerable<KeyValuePair<string, object?>> pairs:
            {
                var d = new JinjaDict();
                foreach (var kv in pairs) d[kv.Key] = ToValue(kv.Value);
                return d;
            }
            case List<object?> list when list.All(x => x is null or string or bool or long or double or JinjaDict): return list;
            case System.Collections.IEnumerable seq: return seq.Cast<object?>().Select(ToValue).ToList();
            default: throw new TemplateException($"cannot pass a {v.GetType().Name} to a template");
        }
    }

    public static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out long l) ? (object)l : e.GetDouble(),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.Object => FromJsonObject(e),
        _ => null,
    };

    private static JinjaDict FromJsonObject(JsonElement e)
    {
        var d = new JinjaDict();
        foreach (var p in e.EnumerateObject()) d[p.Name] = FromJson(p.Value);
        return d;
    }
}
