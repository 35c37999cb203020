using System.Text.Json;
using R1Sharp.Inference.Constraints;
using R1Sharp.Inference.Tools;

namespace R1Sharp.Inference.Tests.Tools;

/// <summary>Tool calls parsed out of a streamed answer in DeepSeek-R1's and Qwen2.5's (Hermes) syntax, whole or in
/// pieces of any size; malformed blocks stay text.</summary>
public sealed class ToolCallParserTests
{
    private const string R1Answer = "Checking both.\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜>\n"
        + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>add\n```json\n{\"a\": 2, \"b\": [1, {\"x\": \"``\"}]}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";

    private const string HermesAnswer = "Sure.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": [1, {\"x\": \"``\"}]}}\n</tool_call>";

    private static (string Content, List<ToolCall> Calls) Parse(ToolCallSyntax syntax, string text, int piece)
    {
        var parser = syntax.CreateParser();
        var calls = new List<ToolCall>();
        var content = new System.Text.StringBuilder();
        for (int i = 0; i < text.Length; i += piece) content.Append(parser.Push(text.Substring(i, Math.Min(piece, text.Length - i)), calls));
        content.Append(parser.Flush(calls));
        return (content.ToString(), calls);
    }

    public static TheoryData<string, int> Pieces()
    {
        var data = new TheoryData<string, int>();
        foreach (string syntax in new[] { "r1", "hermes" })
            foreach (int piece in new[] { 1, 2, 3, 7, 1000 }) data.Add(syntax, piece);
        return data;
    }

    [Theory]
    [MemberData(nameof(Pieces))]
    public void BothSyntaxesParseStreamedInAnyPieces(string name, int piece)
    {
        var (syntax, text, prose) = name == "r1" ? (ToolCallSyntax.DeepSeekR1, R1Answer, "Checking both.\n") : (ToolCallSyntax.Hermes, HermesAnswer, "Sure.\n\n");
        var (content, calls) = Parse(syntax, text, piece);
        Assert.Equal(prose, content);
        Assert.Equal(["get_weather", "add"], calls.Select(c => c.Name));
        Assert.Equal("Paris", JsonDocument.Parse(calls[0].Arguments).RootElement.GetProperty("city").GetString());
        Assert.Equal("``", JsonDocument.Parse(calls[1].Arguments).RootElement.GetProperty("b")[1].GetProperty("x").GetString());
        Assert.All(calls, c => Assert.Matches("^call_[0-9a-f]{24}$", c.Id));
        Assert.Equal(2, calls.Select(c => c.Id).Distinct().Count());
    }

    [Fact]
    public void TextIsHeldBackOnlyWhileItCouldStartACall()
    {
        var parser = ToolCallSyntax.Hermes.CreateParser();
        var calls = new List<ToolCall>();
        Assert.Equal("a ", parser.Push("a <tool", calls));   // "<tool" may open <tool_call>
        Assert.Equal("<tools> b", parser.Push("s> b", calls)); // it did not
        Assert.Equal("x < y", parser.Push("x < y", calls) + parser.Flush(calls));
        Assert.Empty(calls);
    }

    [Theory]
    [InlineData("r1", "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{\"a\": \n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>")]
    [InlineData("r1", "<｜tool▁calls▁begin｜>no call here<｜tool▁calls▁end｜>")]
    [InlineData("hermes", "<tool_call>\n{\"name\": \"f\"}\n</tool_call>")]
    [InlineData("hermes", "<tool_call>\n[1, 2]\n</tool_call>")]
    public void MalformedBlocksStayText(string name, string text)
    {
        var syntax = name == "r1" ? ToolCallSyntax.DeepSeekR1 : ToolCallSyntax.Hermes;
        var (content, calls) = Parse(syntax, text, 3);
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    [Fact]
    public void ABlockCutShortKeepsItsCompleteCalls()
    {
        string cut = R1Answer[..R1Answer.IndexOf("<｜tool▁call▁begin｜>function<｜tool▁sep｜>add", StringComparison.Ordinal)];
        var (content, calls) = Parse(ToolCallSyntax.DeepSeekR1, cut, 5);
        Assert.Equal("Checking both.\n", content);
        Assert.Equal("get_weather", Assert.Single(calls).Name);
        var (content2, first) = Parse(ToolCallSyntax.DeepSeekR1, cut + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>add\n```json\n{\"a\"", 5);
        Assert.Equal("get_weather", Assert.Single(first).Name); // the unfinished second call is dropped
        Assert.Equal("Checking both.\n", content2);
        var (partial, none) = Parse(ToolCallSyntax.DeepSeekR1, "x<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>add\n```json\n{\"a\"", 5);
        Assert.Empty(none);
        Assert.StartsWith("x<｜tool▁calls▁begin｜>", partial);
    }

    /// <summary>The forced-call grammar accepts exactly what the parser reads back (same syntax both ways).</summary>
    [Theory]
    [InlineData("r1")]
    [InlineData("hermes")]
    public void TheForcedCallGrammarMatchesTheTemplatesSyntax(string name)
    {
        var syntax = name == "r1" ? ToolCallSyntax.DeepSeekR1 : ToolCallSyntax.Hermes;
        var tools = new List<ToolDefinition>
        {
            new("get_weather", null, JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}""").RootElement),
            new("add", null, JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"array"}},"required":["a","b"],"additionalProperties":false}""").RootElement),
        };
        var grammar = Grammar.Compile(syntax.ForcedCalls(tools, parallel: true, _ => null));
        string text = name == "r1" ? R1Answer["Checking both.\n".Length..] : HermesAnswer["Sure.\n".Length..];
        Assert.True(GrammarMatcher.Matches(grammar, text), text);
        Assert.False(GrammarMatcher.Matches(Grammar.Compile(syntax.ForcedCalls(tools, parallel: false, _ => null)), text));
        Assert.False(GrammarMatcher.Matches(grammar, text.Replace("Paris", "Paris\", \"x\": \"1")));
        Assert.Equal(2, Parse(syntax, text, 4).Calls.Count);
        Assert.Single(Parse(syntax, syntax.Example, 4).Calls);
    }
}
