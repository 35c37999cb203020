using System.Text;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.Tools;

namespace R1Sharp.Server.Api;

/// <summary>One choice's answer as it streams: the thought, the content and, when tools are on, the tool calls parsed
/// out of the content (<see cref="ToolCallParser"/>). Shared by the OpenAI and Ollama chat endpoints.</summary>
internal sealed class ChatOutput(ToolCallSyntax? syntax)
{
    private readonly ToolCallParser? _parser = syntax?.CreateParser();

    public StringBuilder Reasoning { get; } = new();
    public StringBuilder Content { get; } = new();
    public List<ToolCall> Calls { get; } = [];

    /// <summary>Takes a piece of generated text; returns what goes out now: reasoning text, content text and the
    /// number of tool calls completed by this piece (the last ones of <see cref="Calls"/>).</summary>
    public (string Reasoning, string Content, int NewCalls) Push(GenerationText t)
    {
        if (t.Channel == TextChannel.Reasoning)
        {
            Reasoning.Append(t.Text);
            return (t.Text, "", 0);
        }
        int before = Calls.Count;
        string content = _parser is null ? t.Text : _parser.Push(t.Text, Calls);
        Content.Append(content);
        return ("", content, Calls.Count - before);
    }

    /// <summary>At the end: text held back and calls still open.</summary>
    public (string Content, int NewCalls) Finish()
    {
        if (_parser is null) return ("", 0);
        int before = Calls.Count;
        string content = _parser.Flush(Calls);
        Content.Append(content);
        return (content, Calls.Count - before);
    }

    /// <summary>The answer text; null when the model only called tools (OpenAI's content: null).</summary>
    public string? FinalContent => Calls.Count > 0 && string.IsNullOrWhiteSpace(Content.ToString()) ? null : Content.ToString();

    /// <summary>finish_reason: "tool_calls" when the model called tools and stopped, else the engine's, mapped.</summary>
    public string FinishReason(GenerationFinished f) =>
        Calls.Count > 0 && f.FinishReason == "stop" ? "tool_calls" : LogProbMapping.FinishReason(f.FinishReason);

    public static ToolCallDto ToDto(ToolCall c, int? index = null) =>
        new() { Index = index, Id = c.Id, Type = "function", Function = new FunctionCallDto { Name = c.Name, Arguments = c.Arguments } };
}
