using R1Sharp.Inference.Constraints;

namespace R1Sharp.Inference.Tools;

/// <summary>What constrains a chat answer, decided in one place for the API, the Ollama routes and IChatClient: a
/// forced tool call when tool_choice requires one (<see cref="ToolCallSyntax.ForcedCalls"/>, compact arguments), else
/// the response format's grammar, else nothing.</summary>
public static class AnswerGrammar
{
    /// <returns>The grammar and its JSON formatting, or null for a free answer. Throws
    /// <see cref="UnsupportedSchemaException"/> for a tool's parameter schema the grammar cannot express.</returns>
    public static (GrammarExpr Grammar, JsonGrammarOptions? Options)? For(ToolCallSyntax syntax, Func<string, int?> specialToken,
        IReadOnlyList<ToolDefinition> tools, ToolChoice choice, bool parallelCalls, GrammarExpr? format)
    {
        if (choice.Mode != ToolChoiceMode.Required) return format is null ? null : (format, null);
        var offered = choice.Function is { } only ? tools.Where(t => t.Name == only).ToList() : tools;
        return (syntax.ForcedCalls(offered, parallelCalls, specialToken), ToolCallSyntax.ArgumentsFormat);
    }

    /// <summary>A JSON answer: optional leading blanks, then any object (json_object), any value (Ollama's "json") or a
    /// value valid under a schema.</summary>
    public static GrammarExpr Json(GrammarExpr value) => GrammarExpr.Sequence(GrammarExpr.JsonWhitespace(), value);
}
