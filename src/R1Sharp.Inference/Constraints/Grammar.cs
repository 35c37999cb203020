using System.Text.Json;

namespace R1Sharp.Inference.Constraints;

/// <summary>
/// A compiled grammar: a set of byte-level automata that call each other (a pushdown automaton), with JSON strings and
/// numbers as terminals that check their own bounds. Immutable and thread-safe: compile once per schema, then make a
/// <see cref="GrammarConstraint"/> per request. See docs/structured-outputs.md.
/// </summary>
public sealed class Grammar
{
    // The generic JSON grammars under default options are the same for every request (and the largest: every nesting
    // level is unrolled), so they are compiled once.
    private static readonly Lazy<Grammar> s_jsonObject = new(() => Compile(GrammarExpr.Sequence(GrammarExpr.JsonWhitespace(), GrammarExpr.AnyJsonObject())));
    private static readonly Lazy<Grammar> s_jsonValue = new(() => Compile(GrammarExpr.Sequence(GrammarExpr.JsonWhitespace(), GrammarExpr.AnyJsonValue())));

    private Grammar(GrammarNode[] nodes, int start)
    {
        Nodes = nodes;
        Start = start;
    }

    internal GrammarNode[] Nodes { get; }
    internal int Start { get; }

    /// <summary>States of the automata (a size measure).</summary>
    public int NodeCount => Nodes.Length;

    /// <summary>Compiles <paramref name="root"/>. Throws <see cref="UnsupportedSchemaException"/> for a JSON schema it
    /// cannot enforce.</summary>
    public static Grammar Compile(GrammarExpr root, JsonGrammarOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        options ??= JsonGrammarOptions.Default;
        options.Validate();
        var (nodes, start) = GrammarBuilder.Build(root, options);
        return new Grammar(nodes, start);
    }

    /// <summary>A JSON value valid under <paramref name="schema"/>, optionally preceded by whitespace (a model often opens
    /// its answer with a newline).</summary>
    public static Grammar FromJsonSchema(JsonElement schema, JsonGrammarOptions? options = null) =>
        Compile(GrammarExpr.Sequence(GrammarExpr.JsonWhitespace(), GrammarExpr.JsonSchema(schema)), options);

    /// <inheritdoc cref="FromJsonSchema(JsonElement, JsonGrammarOptions?)"/>
    public static Grammar FromJsonSchema(string schemaJson, JsonGrammarOptions? options = null) =>
        Compile(GrammarExpr.Sequence(GrammarExpr.JsonWhitespace(), GrammarExpr.JsonSchema(schemaJson)), options);

    /// <summary>Any JSON object (OpenAI's <c>{"type": "json_object"}</c>), optionally preceded by whitespace.</summary>
    public static Grammar JsonObject(JsonGrammarOptions? options = null) =>
        options == null || options == JsonGrammarOptions.Default ? s_jsonObject.Value
            : Compile(GrammarExpr.Sequence(GrammarExpr.JsonWhitespace(), GrammarExpr.AnyJsonObject()), options);

    /// <summary>Any JSON value (Ollama's <c>"format": "json"</c>), optionally preceded by whitespace.</summary>
    public static Grammar JsonValue(JsonGrammarOptions? options = null) =>
        options == null || options == JsonGrammarOptions.Default ? s_jsonValue.Value
            : Compile(GrammarExpr.Sequence(GrammarExpr.JsonWhitespace(), GrammarExpr.AnyJsonValue()), options);
}
