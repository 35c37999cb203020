using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.Reasoning;

namespace R1Sharp.Inference.ChatClient;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IChatClient"/> over the batching engine, in process: the thought comes back as
/// <see cref="TextReasoningContent"/> and the answer as <see cref="TextContent"/>, with usage (reasoning tokens
/// included). ChatOptions: Temperature, TopP, TopK, MaxOutputTokens, Seed, StopSequences, presence/frequency
/// penalties, Reasoning.Effort (mapped like the API's reasoning_effort: None = no thinking, ExtraHigh = High), and
/// AdditionalProperties "thinking_budget" (int) and "ignore_eos" (bool).
/// </summary>
public sealed class R1ChatClient(IGenerationEngine engine, bool ownsEngine = false) : IChatClient
{
    /// <summary>Provider "r1sharp" and the model's name.</summary>
    public ChatClientMetadata Metadata { get; } = new("r1sharp", null, engine.ModelName);

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in GetStreamingResponseAsync(messages, options, cancellationToken)) updates.Add(u);
        return updates.ToChatResponse();
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prompt = engine.PrepareChat(ToPrompt(messages, options));
        var request = new GenerationRequest(prompt.Tokens, Parameters(options), SplitReasoning: true, StartsInReasoning: prompt.StartsInReasoning)
        {
            Endpoint = "chat_client",
        };
        string responseId = "chatcmpl-" + Guid.NewGuid().ToString("N");
        string messageId = Guid.NewGuid().ToString("N");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = engine.Submit(request, cts.Token);
        try
        {
            await foreach (var update in reader.ReadAllAsync(cancellationToken))
            {
                switch (update)
                {
                    case GenerationText { Text.Length: > 0 } t:
                        AIContent content = t.Channel == TextChannel.Reasoning ? new TextReasoningContent(t.Text) : new TextContent(t.Text);
                        yield return new ChatResponseUpdate(ChatRole.Assistant, [content])
                        {
                            ResponseId = responseId, MessageId = messageId, ModelId = engine.ModelName,
                        };
                        break;
                    case GenerationFinished f:
                        var usage = new UsageDetails
                        {
                            InputTokenCount = f.PromptTokens,
                            OutputTokenCount = f.CompletionTokens,
                            TotalTokenCount = f.PromptTokens + f.CompletionTokens,
                            ReasoningTokenCount = f.ReasoningTokens,
                            CachedInputTokenCount = f.CachedPromptTokens,
                        };
                        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)])
                        {
                            ResponseId = responseId, MessageId = messageId, ModelId = engine.ModelName,
                            FinishReason = f.FinishReason is "length" or "timeout" ? ChatFinishReason.Length : ChatFinishReason.Stop,
                        };
                        break;
                }
            }
        }
        finally
        {
            cts.Cancel(); // a consumer that stops early frees the slot
        }
    }

    private static List<PromptMessage> ToPrompt(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var result = new List<PromptMessage>();
        if (options?.Instructions is { Length: > 0 } instructions) result.Add(new PromptMessage("system", instructions));
        foreach (var m in messages)
        {
            string reasoning = string.Concat(m.Contents.OfType<TextReasoningContent>().Select(c => c.Text));
            result.Add(new PromptMessage(m.Role.Value, m.Text, reasoning.Length > 0 ? reasoning : null));
        }
        return result;
    }

    private static GenerationParameters Parameters(ChatOptions? o)
    {
        if (o is null) return new GenerationParameters();
        int? budget = o.Reasoning?.Effort switch
        {
            null => null,
            ReasoningEffort.None => ThinkingBudget.FromReasoningEffort("none"),
            ReasoningEffort.Low => ThinkingBudget.FromReasoningEffort("low"),
            ReasoningEffort.Medium => ThinkingBudget.FromReasoningEffort("medium"),
            _ => ThinkingBudget.FromReasoningEffort("high"),
        };
        if (o.AdditionalProperties?.TryGetValue("thinking_budget", out object? value) == true && value is not null)
            budget = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
        bool ignoreEos = o.AdditionalProperties?.TryGetValue("ignore_eos", out object? ie) == true && ie is true;
        return new GenerationParameters
        {
            Temperature = o.Temperature,
            TopP = o.TopP,
            TopK = o.TopK,
            MaxTokens = o.MaxOutputTokens,
            Seed = o.Seed is long s ? unchecked((ulong)s) : null,
            Stop = o.StopSequences?.ToList() ?? [],
            PresencePenalty = o.PresencePenalty,
            FrequencyPenalty = o.FrequencyPenalty,
            ThinkingBudget = budget,
            IgnoreEos = ignoreEos,
        };
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceType.IsInstanceOfType(engine) ? engine
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <summary>Disposes the engine when this client owns it.</summary>
    public void Dispose()
    {
        if (ownsEngine) engine.Dispose();
    }
}
