using System.Threading.Channels;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Server.Tests.Browser;

/// <summary>
/// What the scripted engine generates for the next requests: reasoning pieces, then answer pieces (one token each),
/// with <see cref="Delay"/> between them, slow enough to watch the stream and press Stop in the middle.
/// </summary>
public sealed class ChatScript
{
    public string[] Reasoning { get; set; } = ["Let me ", "think about ", "this."];
    public string[] Answer { get; set; } = ["The answer ", "is **42**."];
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(30);
    /// <summary>The chat messages and parameters of each request, in order.</summary>
    public List<(IReadOnlyList<PromptMessage> Messages, GenerationParameters Parameters)> Requests { get; } = [];
}

/// <summary>
/// An <see cref="IGenerationEngine"/> that plays a <see cref="ChatScript"/> in real time behind the server's real HTTP
/// layer (SSE, reasoning_content split, usage), so the page can be tested with exact, controllable text. It honours
/// thinking_budget 0 (no reasoning) and cancellation (the page's Stop) like the real engine.
/// </summary>
public sealed class PacedScriptEngine(ChatScript script) : IGenerationEngine
{
    public const string Name = "scripted-r1";
    private IReadOnlyList<PromptMessage>? _pending;

    public string ModelName => Name;
    public int ContextLength => 1 << 20;
    public int Slots => 4;
    public int VocabSize => 65536;
    public EngineMetrics Metrics { get; } = new();

    public PreparedPrompt PrepareChat(IReadOnlyList<PromptMessage> messages, IReadOnlyList<R1Sharp.Inference.Tools.ToolDefinition>? tools)
    {
        _pending = messages;
        return new PreparedPrompt(Tokenize(string.Concat(messages.Select(m => m.Content)), false, false), StartsInReasoning: true);
    }

    public PreparedPrompt PrepareCompletion(string prompt) => new(Tokenize(prompt, false, false), false);
    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial) => text.Select(c => (int)c).ToArray();
    public string Detokenize(ReadOnlySpan<int> tokens) => new(tokens.ToArray().Select(t => (char)t).ToArray());
    public byte[] TokenBytes(int token) => System.Text.Encoding.UTF8.GetBytes(((char)token).ToString());

    public ChannelReader<GenerationUpdate> Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        lock (script.Requests) script.Requests.Add((_pending ?? [], request.Parameters));
        var channel = Channel.CreateUnbounded<GenerationUpdate>();
        var reasoning = request.Parameters.ThinkingBudget == 0 ? [] : script.Reasoning;
        var answer = script.Answer;
        var delay = script.Delay;
        _ = Task.Run(async () =>
        {
            int generated = 0, thought = 0;
            try
            {
                foreach (var piece in reasoning)
                {
                    await Task.Delay(delay, cancellationToken);
                    await channel.Writer.WriteAsync(new GenerationText(TextChannel.Reasoning, piece), cancellationToken);
                    generated++; thought++;
                }
                foreach (var piece in answer)
                {
                    await Task.Delay(delay, cancellationToken);
                    await channel.Writer.WriteAsync(new GenerationText(TextChannel.Answer, piece), cancellationToken);
                    generated++;
                }
                channel.Writer.TryWrite(new GenerationFinished("stop", request.PromptTokens.Length, generated, thought, 0));
            }
            catch (OperationCanceledException)
            {
                channel.Writer.TryWrite(new GenerationFinished("cancelled", request.PromptTokens.Length, generated, thought, 0));
            }
            channel.Writer.TryComplete();
        }, CancellationToken.None);
        return channel.Reader;
    }

    public void Dispose() { }
}
