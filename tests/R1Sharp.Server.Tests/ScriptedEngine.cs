using System.Threading.Channels;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Server.Tests;

/// <summary>An engine that answers every request with a fixed list of updates, for HTTP-level tests (shapes, status
/// codes, SSE framing) that do not depend on a model. Characters are tokens.</summary>
internal sealed class ScriptedEngine : IGenerationEngine
{
    public List<GenerationUpdate> Script { get; init; } = [];
    public bool Overloaded { get; set; }
    public List<GenerationRequest> Received { get; } = [];
    public string ModelName => "scripted";
    public int ContextLength { get; init; } = 64;
    public int Slots => 1;
    public int VocabSize => 65536;
    public EngineMetrics Metrics { get; } = new();

    public PreparedPrompt PrepareChat(IReadOnlyList<PromptMessage> messages, IReadOnlyList<R1Sharp.Inference.Tools.ToolDefinition>? tools) =>
        new(Tokenize(string.Concat(messages.Select(m => $"<{m.Role}>{m.Content}")), false, false), StartsInReasoning: true);

    public PreparedPrompt PrepareCompletion(string prompt) => new(Tokenize(prompt, false, false), false);
    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial) => text.Select(c => (int)c).ToArray();
    public string Detokenize(ReadOnlySpan<int> tokens) => new(tokens.ToArray().Select(t => (char)t).ToArray());
    public byte[] TokenBytes(int token) => System.Text.Encoding.UTF8.GetBytes(((char)token).ToString());

    public ChannelReader<GenerationUpdate> Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        if (Overloaded) throw new EngineOverloadedException(TimeSpan.FromSeconds(2));
        lock (Received) Received.Add(request);
        var channel = Channel.CreateUnbounded<GenerationUpdate>();
        foreach (var u in Script) channel.Writer.TryWrite(u);
        channel.Writer.TryComplete();
        return channel.Reader;
    }

    public void Dispose() { }
}
