using System.Text.Json;
using R1Sharp.Inference.Constraints;

namespace R1Sharp.Inference.Tools;

/// <summary>
/// How a model family writes tool calls. DeepSeek-R1 (its template's syntax):
/// <c>&lt;｜tool▁calls▁begin｜&gt;&lt;｜tool▁call▁begin｜&gt;function&lt;｜tool▁sep｜&gt;NAME\n```json\nARGS\n```&lt;｜tool▁call▁end｜&gt;</c>
/// (further calls after a newline) <c>&lt;｜tool▁calls▁end｜&gt;</c>. Qwen2.5 (Hermes style): one
/// <c>&lt;tool_call&gt;\n{"name": NAME, "arguments": ARGS}\n&lt;/tool_call&gt;</c> per call.
/// Used to write the example into the prompt, to force calls (a grammar) and to parse them (<see cref="ToolCallParser"/>).
/// </summary>
public sealed class ToolCallSyntax
{
    public const string R1CallsBegin = "<｜tool▁calls▁begin｜>", R1CallsEnd = "<｜tool▁calls▁end｜>",
        R1CallBegin = "<｜tool▁call▁begin｜>", R1CallEnd = "<｜tool▁call▁end｜>", R1Sep = "<｜tool▁sep｜>";
    public const string HermesBegin = "<tool_call>", HermesEnd = "</tool_call>";

    private ToolCallSyntax(string name, string blockBegin, string blockEnd)
    {
        Name = name;
        BlockBegin = blockBegin;
        BlockEnd = blockEnd;
    }

    public static ToolCallSyntax DeepSeekR1 { get; } = new("deepseek-r1", R1CallsBegin, R1CallsEnd);
    public static ToolCallSyntax Hermes { get; } = new("hermes", HermesBegin, HermesEnd);

    /// <summary>The syntax a chat template's model writes: Hermes when the template speaks of &lt;tool_call&gt; (Qwen2.5),
    /// DeepSeek-R1's otherwise (R1 and its distills).</summary>
    public static ToolCallSyntax ForTemplate(string? templateSource) =>
        templateSource?.Contains(HermesBegin, StringComparison.Ordinal) == true ? Hermes : DeepSeekR1;

    public string Name { get; }
    /// <summary>The text that opens a block of calls (R1: all calls; Hermes: one call).</summary>
    public string BlockBegin { get; }
    public string BlockEnd { get; }

    /// <summary>One call written in this syntax, as the model should write it (the tool-list prompt's example).</summary>
    public string Example => this == DeepSeekR1
        ? R1CallsBegin + R1CallBegin + "function" + R1Sep + "tool_name\n```json\n{\"arg1\": \"some_value\"}\n```" + R1CallEnd + R1CallsEnd
        : HermesBegin + "\n{\"name\": \"tool_name\", \"arguments\": {\"arg1\": \"some_value\"}}\n" + HermesEnd;

    /// <summary>The grammar of a forced answer: one call (several with <paramref name="parallel"/>) of one of
    /// <paramref name="tools"/>, arguments valid under each tool's parameter schema. <paramref name="specialToken"/>
    /// gives the id of a marker the vocabulary holds as a special token (it is then required as that token; null: as
    /// text). Throws <see cref="UnsupportedSchemaException"/> for a parameter schema the grammar cannot express.</summary>
    public GrammarExpr ForcedCalls(IReadOnlyList<ToolDefinition> tools, bool parallel, Func<string, int?> specialToken)
    {
        if (tools.Count == 0) throw new ArgumentException("no tools to call", nameof(tools));
        GrammarExpr Marker(string text) => specialToken(text) is int id ? GrammarExpr.Token(id) : GrammarExpr.Text(text);
        var calls = tools.Select(t => this == DeepSeekR1
            ? GrammarExpr.Sequence(Marker(R1CallBegin), GrammarExpr.Text("function"), Marker(R1Sep),
                GrammarExpr.Text(t.Name + "\n```json\n"), GrammarExpr.JsonSchema(t.Parameters), GrammarExpr.Text("\n```"), Marker(R1CallEnd))
            : GrammarExpr.Sequence(Marker(HermesBegin), GrammarExpr.Text("\n{\"name\": " + JsonSerializer.Serialize(t.Name) + ", \"arguments\": "),
                GrammarExpr.JsonSchema(t.Parameters), GrammarExpr.Text("}\n"), Marker(HermesEnd))).ToArray();
        var call = calls.Length == 1 ? calls[0] : GrammarExpr.Choice(calls);
        var list = parallel ? GrammarExpr.Sequence(call, GrammarExpr.Repeat(GrammarExpr.Sequence(GrammarExpr.Text("\n"), call), 0, null)) : call;
        return this == DeepSeekR1 ? GrammarExpr.Sequence(Marker(R1CallsBegin), list, Marker(R1CallsEnd)) : list;
    }

    /// <summary>JSON formatting of forced call arguments: at most one blank at each place (the ", " and ": " models
    /// write), so that a model cannot spend its tokens on whitespace inside a call.</summary>
    public static JsonGrammarOptions ArgumentsFormat { get; } = new() { MaxWhitespace = 1 };

    public ToolCallParser CreateParser() => new(this);

    /// <summary>Parses the text between <see cref="BlockBegin"/> and <see cref="BlockEnd"/> into calls; false when it is
    /// not well-formed (then it is left as text).</summary>
    /// <param name="cutShort">The block never closed (the answer hit a limit): its complete calls count, an unfinished
    /// last one is dropped.</param>
    internal bool TryParseBlock(string inner, List<ToolCall> calls, bool cutShort = false) =>
        this == DeepSeekR1 ? TryParseR1(inner, calls, cutShort) : TryParseHermes(inner, calls);

    private static bool TryParseR1(string inner, List<ToolCall> calls, bool cutShort)
    {
        var found = new List<ToolCall>();
        int pos = 0;
        while (true)
        {
            while (pos < inner.Length && char.IsWhiteSpace(inner[pos])) pos++;
            if (pos == inner.Length) break;
            if (string.CompareOrdinal(inner, pos, R1CallBegin, 0, R1CallBegin.Length) != 0)
            {
                if (cutShort && found.Count > 0 && (R1CallBegin.StartsWith(inner[pos..], StringComparison.Ordinal) || R1CallsEnd.StartsWith(inner[pos..], StringComparison.Ordinal))) break;
                return false;
            }
            pos += R1CallBegin.Length;
            int sep = inner.IndexOf(R1Sep, pos, StringComparison.Ordinal);
            int end = inner.IndexOf(R1CallEnd, pos, StringComparison.Ordinal);
            if (end < 0 && cutShort && found.Count > 0) break; // an unfinished last call
            if (sep < 0 || end < 0 || sep > end) return false;
            string body = inner[(sep + R1Sep.Length)..end];
            pos = end + R1CallEnd.Length;
            int newline = body.IndexOf('\n');
            if (newline <= 0) return false;
            string name = body[..newline].Trim();
            string json = body[(newline + 1)..].Trim();
            if (json.StartsWith("```json", StringComparison.Ordinal)) json = json[7..];
            else if (json.StartsWith("```", StringComparison.Ordinal)) json = json[3..];
            if (json.EndsWith("```", StringComparison.Ordinal)) json = json[..^3];
            if (name.Length == 0 || NormalizedObject(json.Trim()) is not { } args) return false;
            found.Add(new ToolCall(ToolCall.NewId(), name, args));
        }
        if (found.Count == 0) return false;
        calls.AddRange(found);
        return true;
    }

    private static bool TryParseHermes(string inner, List<ToolCall> calls)
    {
        try
        {
            using var doc = JsonDocument.Parse(inner);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                return false;
            if (!root.TryGetProperty("arguments", out var args) && !root.TryGetProperty("parameters", out args)) return false;
            if (args.ValueKind == JsonValueKind.String && NormalizedObject(args.GetString()!) is { } fromString)
            {
                calls.Add(new ToolCall(ToolCall.NewId(), name.GetString()!, fromString));
                return true;
            }
            if (args.ValueKind != JsonValueKind.Object) return false;
            calls.Add(new ToolCall(ToolCall.NewId(), name.GetString()!, args.GetRawText()));
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The text when it is one JSON object (as the model wrote it), else null.</summary>
    private static string? NormalizedObject(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? json : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
