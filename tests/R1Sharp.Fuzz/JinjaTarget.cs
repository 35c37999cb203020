using System.Text;
using System.Text.Json;
using R1Sharp.TestSupport;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Fuzz;

/// <summary>The Jinja lexer, parser and renderer on mutated real chat templates and on random token soups, rendered
/// with tight limits: a TemplateException or a result, within the render time limit, never another exception (a stack
/// overflow would end the process, which the long run reports).</summary>
public sealed class JinjaTarget : FuzzTarget
{
    public override string Name => "jinja";

    /// <summary>Limits small enough to keep every case fast (the defaults allow far more).</summary>
    public static readonly JinjaOptions FuzzOptions = JinjaOptions.Transformers with
    {
        Limits = TemplateLimits.Default with
        {
            MaxStringLength = 1 << 20, MaxCollectionLength = 1 << 16, MaxAllocatedBytes = 64 << 20, MaxLoopIterations = 100_000,
            MaxRenderTime = TimeSpan.FromSeconds(2),
        },
    };

    private static readonly Lazy<List<string>> s_templates = new(() =>
    {
        var list = Directory.GetFiles(Fixtures.Path("templates"), "*.jinja").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("templates", "features.json")));
        list.AddRange(doc.RootElement.EnumerateArray().Select(c => c.GetProperty("template").GetString()!).Distinct());
        return list;
    });

    /// <summary>The real chat templates and the feature templates of the fixtures.</summary>
    public static IReadOnlyList<string> Templates => s_templates.Value;

    private static readonly string[] s_soup =
    [
        "{%", "%}", "{{", "}}", "{#", "#}", "{%-", "-%}", "{{-", "-}}", "for", "in", "if", "elif", "else", "endif", "endfor", "set", "endset",
        "macro", "endmacro", "call", "endcall", "filter", "endfilter", "raw", "endraw", "generation", "endgeneration", "break", "continue",
        "do", "recursive", "loop", "loop(x)", "loop.index", "loop.cycle(1,2)", "caller()", "(", ")", "[", "]", "{", "}", ",", ":", ".", "|", "~",
        "+", "-", "*", "**", "/", "//", "%", "==", "!=", "<", ">=", "not", "and", "or", "is", "defined", "none", "true", "x", "ns", "ns.x", "m",
        "messages", "message", "message['content']", "tools", "range(100000)", "range(3)", "namespace(x=[])", "dict(a=1)", "'a'", "\"b\"",
        "'a' * 100000", "1", "-1", "0", "2 ** 62", "9223372036854775807", "1.5e308", "[1,2]", "(1,)", "{'k': 1}", "x[1:]", "x[::-1]",
        "|tojson", "|tojson(indent=2)", "|join(',')", "|map('upper')", "|select('odd')", "|selectattr('role','equalto','user')", "|unique",
        "|sort", "|dictsort", "|indent(4)", "|center(80)", "|replace('a','bb')", "|length", "|first", "|last", "|list", "|items", "|batch(2,'x')",
        "|string", "|int", "|trim", "|sum", "|min", "|max", "|reverse", "|attr('upper')", ".split(',')", ".strip()", ".format(1)",
        ".startswith('a')", ".ljust(10)", ".upper", "raise_exception('x')", "strftime_now('%Y')", "\n", " ", "  ",
    ];

    public override FuzzInput Generate(Random rng)
    {
        if (rng.Next(4) == 0)
        {
            var sb = new StringBuilder();
            int n = 1 + rng.Next(60);
            for (int i = 0; i < n; i++) sb.Append(s_soup[rng.Next(s_soup.Length)]).Append(rng.Next(3) == 0 ? "" : " ");
            return new FuzzInput("token soup", Text: sb.ToString(), Variant: rng.Next());
        }
        int which = rng.Next(Templates.Count);
        return new FuzzInput($"template {which} mutated", Text: MutateTemplate(Templates[which], rng), Variant: rng.Next());
    }

    /// <summary>Character and token level edits of a template: deletions, duplications, swaps, soup insertions, deep nesting.</summary>
    public static string MutateTemplate(string template, Random rng)
    {
        var sb = new StringBuilder(template);
        int n = 1 + rng.Next(6);
        for (int k = 0; k < n; k++)
        {
            int at = sb.Length == 0 ? 0 : rng.Next(sb.Length + 1);
            int len = sb.Length - at == 0 ? 0 : 1 + rng.Next(Math.Min(40, sb.Length - at));
            switch (rng.Next(6))
            {
                case 0: sb.Remove(at, len); break;
                case 1: sb.Insert(rng.Next(sb.Length + 1), sb.ToString(at, len)); break;
                case 2:
                    for (int i = 0; i < 1 + rng.Next(3); i++) sb.Insert(rng.Next(sb.Length + 1), s_soup[rng.Next(s_soup.Length)]);
                    break;
                case 3:
                {
                    int other = rng.Next(sb.Length + 1 - len);
                    string a = sb.ToString(at, len), b = sb.ToString(other, len);
                    sb.Remove(at, len).Insert(at, b);
                    sb.Remove(other, len).Insert(other, a);
                    break;
                }
                case 4:
                {
                    // deep nesting: brackets, operator chains, blocks
                    int depth = rng.Next(2) == 0 ? rng.Next(200) : rng.Next(5000);
                    string[] shapes = ["(", "[", "{{ x", "not ", "- "];
                    string s = shapes[rng.Next(shapes.Length)];
                    string deep = rng.Next(3) switch
                    {
                        0 => "{{ " + string.Concat(Enumerable.Repeat(s, depth)) + "1 }}",
                        1 => "{{ 1" + string.Concat(Enumerable.Repeat(" + 1", depth)) + " }}",
                        _ => string.Concat(Enumerable.Repeat("{% if x %}", depth)) + string.Concat(Enumerable.Repeat("{% endif %}", depth)),
                    };
                    sb.Insert(at, deep);
                    break;
                }
                default:
                    sb.Insert(at, TextGenerator.Text(rng, 1 + rng.Next(10)));
                    break;
            }
        }
        return sb.ToString();
    }

    public override void Execute(FuzzInput input)
    {
        var template = new JinjaTemplate(input.Text!, FuzzOptions) { Clock = () => new DateTime(2026, 1, 2, 3, 4, 5) };
        var rng = new Random(input.Variant);
        var messages = new List<object?>
        {
            Message("system", "You are terse."), Message("user", TextGenerator.Text(rng, 30)),
            Message("assistant", "<think>\nx\n</think>\n\nanswer"), Message("user", "and?"),
        };
        if (rng.Next(3) == 0) messages.Add(Message("tool", "{\"r\": 1}"));
        var tools = rng.Next(2) == 0 ? null : new List<object?> { JinjaTemplate.FromJson(JsonDocument.Parse(
            """{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}""").RootElement) };
        template.Render(new Dictionary<string, object?>
        {
            ["messages"] = messages, ["tools"] = tools, ["add_generation_prompt"] = rng.Next(2) == 0,
            ["bos_token"] = "<｜begin▁of▁sentence｜>", ["eos_token"] = "<｜end▁of▁sentence｜>", ["x"] = rng.Next(2) == 0 ? 1L : new List<object?> { 1L, "a" },
        });
    }

    private static JinjaDict Message(string role, string content) => new() { ["role"] = role, ["content"] = content };

    public override bool IsExpected(Exception e) => e is TemplateException;
}
