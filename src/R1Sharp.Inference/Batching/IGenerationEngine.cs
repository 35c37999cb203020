using System.Threading.Channels;
using R1Sharp.Inference.Constraints;
using R1Sharp.Inference.Sampling;
using R1Sharp.Inference.Tools;

namespace R1Sharp.Inference.Batching;

/// <summary>A chat message as an API client sends it (reasoning of earlier turns is accepted and dropped by the template):
/// an assistant turn may carry <see cref="ToolCalls"/>, a "tool" turn answers the call <see cref="ToolCallId"/>.</summary>
public sealed record PromptMessage(string Role, string Content, string? ReasoningContent = null)
{
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }
    public string? ToolCallId { get; init; }
    /// <summary>The tool's name on a "tool" turn (Ollama's tool_name, OpenAI's name).</summary>
    public string? Name { get; init; }
}

/// <summary>A rendered, tokenized prompt; <see cref="StartsInReasoning"/> when it ends inside an opened &lt;think&gt;.</summary>
public sealed record PreparedPrompt(int[] Tokens, bool StartsInReasoning);

/// <summary>The engine as the server and the in-process chat client see it: prompt preparation, tokenization and
/// generation requests that stream <see cref="GenerationUpdate"/>s. Implemented by <see cref="BatchingEngine"/>.</summary>
public interface IGenerationEngine : IDisposable
{
    /// <summary>The model's name (GGUF <c>general.name</c>, else the file name).</summary>
    string ModelName { get; }
    /// <summary>Tokens one request may use (prompt + completion).</summary>
    int ContextLength { get; }
    /// <summary>Sequences generated at once; more requests wait in the queue.</summary>
    int Slots { get; }
    /// <summary>Token ids are in [0, VocabSize).</summary>
    int VocabSize { get; }
    /// <summary>Counters and gauges of requests, tokens and slots (the server's /metrics).</summary>
    EngineMetrics Metrics { get; }

    /// <summary>Renders and tokenizes a chat. These three throw <see cref="ContextLengthExceededException"/> as soon as
    /// the text cannot fit in <see cref="ContextLength"/> (before tokenizing a text that is too long by its size).</summary>
    PreparedPrompt PrepareChat(IReadOnlyList<PromptMessage> messages) => PrepareChat(messages, null);
    /// <summary>Renders a chat with the tools the model may call (<see cref="ChatPrompt"/>).</summary>
    PreparedPrompt PrepareChat(IReadOnlyList<PromptMessage> messages, IReadOnlyList<ToolDefinition>? tools);
    /// <summary>Tokenizes a raw prompt (no template; BOS when the model wants one).</summary>
    PreparedPrompt PrepareCompletion(string prompt);
    /// <summary>Token ids of a text: <paramref name="addSpecial"/> adds BOS when the model wants one,
    /// <paramref name="parseSpecial"/> turns special-token texts into their ids.</summary>
    int[] Tokenize(string text, bool addSpecial, bool parseSpecial);
    /// <summary>The text of token ids.</summary>
    string Detokenize(ReadOnlySpan<int> tokens);
    /// <summary>The UTF-8 bytes a token stands for.</summary>
    byte[] TokenBytes(int token);

    /// <summary>How this model writes tool calls (from its chat template).</summary>
    ToolCallSyntax ToolCalls => ToolCallSyntax.DeepSeekR1;

    /// <summary>The id of a special (non-text) token of the vocabulary spelled <paramref name="text"/>, if any.</summary>
    int? SpecialToken(string text) => null;

    /// <summary>A per-request factory of the constraint of <paramref name="answer"/> over this engine's vocabulary
    /// (structured outputs, forced tool calls). Throws <see cref="UnsupportedSchemaException"/> for a schema the
    /// grammar cannot express.</summary>
    Func<ITokenConstraint> CreateConstraint(GrammarExpr answer, JsonGrammarOptions? options = null) =>
        throw new NotSupportedException("this engine has no constrained sampling");

    /// <summary>Queues a request. Throws <see cref="EngineOverloadedException"/> when the queue is full and
    /// <see cref="ContextLengthExceededException"/> when the prompt does not fit. Cancelling
    /// <paramref name="cancellationToken"/> frees the request's slot at the next step.</summary>
    ChannelReader<GenerationUpdate> Submit(GenerationRequest request, CancellationToken cancellationToken = default);
}
