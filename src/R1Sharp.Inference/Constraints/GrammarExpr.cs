using System.Text;
using System.Text.Json;

namespace R1Sharp.Inference.Constraints;

/// <summary>
/// A grammar over the generated text, built from parts and compiled by <see cref="Grammar.Compile"/>. JSON parts are
/// values without surrounding whitespace; compose them with literal text or exact tokens, e.g. a forced tool call:
/// <code>Sequence(Token(callBegin), Text("get_weather\n```json\n"), JsonSchema(parameters), Text("\n```"), Token(callEnd))</code>
/// </summary>
public abstract class GrammarExpr
{
    private protected GrammarExpr() { }

    /// <summary>Exactly this text (its UTF-8 bytes, made of any tokens).</summary>
    public static GrammarExpr Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new TextExpr(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Exactly this token id, e.g. a special token such as a tool-call marker (allowed even though special
    /// tokens are otherwise never allowed).</summary>
    public static GrammarExpr Token(int tokenId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenId);
        return new TokenExpr(tokenId);
    }

    public static GrammarExpr Sequence(params GrammarExpr[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new SequenceExpr([.. items]);
    }

    /// <summary>Any one of the alternatives.</summary>
    public static GrammarExpr Choice(params GrammarExpr[] alternatives)
    {
        ArgumentNullException.ThrowIfNull(alternatives);
        if (alternatives.Length == 0) throw new ArgumentException("a choice needs at least one alternative", nameof(alternatives));
        return new ChoiceExpr([.. alternatives]);
    }

    /// <summary><paramref name="item"/> between <paramref name="min"/> and <paramref name="max"/> times (null: no limit).</summary>
    public static GrammarExpr Repeat(GrammarExpr item, int min, int? max)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentOutOfRangeException.ThrowIfNegative(min);
        if (max is int m) ArgumentOutOfRangeException.ThrowIfLessThan(m, Math.Max(min, 1));
        return new RepeatExpr(item, min, max);
    }

    /// <summary>A JSON value valid under <paramref name="schema"/> (see docs/structured-outputs.md for what is supported;
    /// anything else makes <see cref="Grammar.Compile"/> throw <see cref="UnsupportedSchemaException"/>).</summary>
    public static GrammarExpr JsonSchema(JsonElement schema) => new SchemaExpr(schema.Clone());

    /// <summary>A JSON value valid under the schema written in <paramref name="schemaJson"/>.</summary>
    public static GrammarExpr JsonSchema(string schemaJson)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(schemaJson);
        }
        catch (JsonException e)
        {
            throw new UnsupportedSchemaException("schema", "#", $"the schema is not valid JSON: {e.Message}");
        }
        using (doc) return new SchemaExpr(doc.RootElement.Clone());
    }

    /// <summary>Any JSON object (OpenAI's <c>json_object</c> response format).</summary>
    public static GrammarExpr AnyJsonObject() => new SchemaExpr(Parse("""{"type":"object"}"""));

    /// <summary>Any JSON value (Ollama's <c>format: "json"</c>).</summary>
    public static GrammarExpr AnyJsonValue() => new SchemaExpr(Parse("true"));

    /// <summary>Optional JSON whitespace, bounded by <see cref="JsonGrammarOptions.MaxWhitespace"/>.</summary>
    public static GrammarExpr JsonWhitespace() => new WhitespaceExpr();

    private static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    internal sealed class TextExpr(byte[] bytes) : GrammarExpr
    {
        public byte[] Bytes { get; } = bytes;
    }

    /// <summary>One byte in any of the inclusive ranges.</summary>
    internal sealed class ByteSetExpr((byte Lo, byte Hi)[] ranges) : GrammarExpr
    {
        public (byte Lo, byte Hi)[] Ranges { get; } = ranges;
    }

    internal sealed class TokenExpr(int id) : GrammarExpr
    {
        public int Id { get; } = id;
    }

    internal sealed class SequenceExpr(GrammarExpr[] items) : GrammarExpr
    {
        public GrammarExpr[] Items { get; } = items;
    }

    internal sealed class ChoiceExpr(GrammarExpr[] alternatives) : GrammarExpr
    {
        public GrammarExpr[] Alternatives { get; } = alternatives;
    }

    internal sealed class RepeatExpr(GrammarExpr item, int min, int? max) : GrammarExpr
    {
        public GrammarExpr Item { get; } = item;
        public int Min { get; } = min;
        public int? Max { get; } = max;
    }

    internal sealed class SchemaExpr(JsonElement schema) : GrammarExpr
    {
        public JsonElement Schema { get; } = schema;
    }

    internal sealed class WhitespaceExpr : GrammarExpr;

    internal sealed class StringExpr(StringSpec spec) : GrammarExpr
    {
        public StringSpec Spec { get; } = spec;
    }

    internal sealed class NumberExpr(NumberSpec spec) : GrammarExpr
    {
        public NumberSpec Spec { get; } = spec;
    }

    /// <summary>A call of a rule: its own activation (an object's used keys live there).</summary>
    internal sealed class RuleExpr(GrammarRule rule) : GrammarExpr
    {
        public GrammarRule Rule { get; } = rule;
    }

    /// <summary>A JSON object with properties in a fixed order (optional ones may be left out) and, when
    /// <see cref="AdditionalValue"/> is set, further members with free keys after them.</summary>
    internal sealed class ObjectExpr(ObjectMember[] members, GrammarExpr? additionalValue, StringSpec? additionalKey) : GrammarExpr
    {
        public ObjectMember[] Members { get; } = members;
        public GrammarExpr? AdditionalValue { get; } = additionalValue;
        public StringSpec? AdditionalKey { get; } = additionalKey;
    }

    internal sealed record ObjectMember(byte[] Key, GrammarExpr Value, bool Required);

    /// <summary>A JSON array: item i follows <see cref="Prefix"/>[i], then <see cref="Rest"/> (null: no further items),
    /// between <see cref="MinItems"/> and <see cref="MaxItems"/> (null: unbounded) items.</summary>
    internal sealed class ArrayExpr(GrammarExpr[] prefix, GrammarExpr? rest, int minItems, int? maxItems) : GrammarExpr
    {
        public GrammarExpr[] Prefix { get; } = prefix;
        public GrammarExpr? Rest { get; } = rest;
        public int MinItems { get; } = minItems;
        public int? MaxItems { get; } = maxItems;
    }
}
