using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using R1Sharp.Inference.Constraints;
using R1Sharp.TestSupport;
using R1Sharp.Tokenization;

namespace R1Sharp.Inference.Tests.Constraints;

/// <summary>Shared pieces of the constraint tests: grammars, the independent validator (System.Text.Json +
/// JsonSchema.Net) and the tokenizers (the tiny golden vocabulary, the real R1-Distill-Qwen one).</summary>
internal static class ConstraintKit
{
    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> s_tokenizers = new();

    public const string R1Vocab = "vocab/ggml-vocab-deepseek-r1-qwen.gguf";
    public const string TinyModel = "golden/models/tiny-qwen2-s1-f32.gguf";

    public static Tokenizer Tokenizer(string fixture) =>
        s_tokenizers.GetOrAdd(fixture, f => new Lazy<Tokenizer>(() => R1Sharp.Tokenization.Tokenizer.FromGguf(Fixtures.Path(f.Split('/'))))).Value;

    public static Grammar Schema(string json) => Grammar.FromJsonSchema(json);

    public static bool Accepts(Grammar g, string text) => GrammarMatcher.Matches(g, text);

    /// <summary>A prefix of some sentence of the grammar.</summary>
    public static bool IsPrefix(Grammar g, string text) => new GrammarMatcher(g).TryAdvance(text);

    /// <summary>The independent truth: the text parses and JsonSchema.Net says it is valid.</summary>
    public static bool ValidJson(string schemaJson, string text, out string why)
    {
        JsonNode? node;
        try
        {
            using (JsonDocument.Parse(text)) { }
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            why = "does not parse: " + e.Message;
            return false;
        }
        var result = JsonSchema.FromText(schemaJson).Evaluate(node, new EvaluationOptions { OutputFormat = OutputFormat.List });
        why = result.IsValid ? "" : string.Join("; ", (result.Details ?? []).Where(d => d.Errors != null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
        return result.IsValid;
    }
}
