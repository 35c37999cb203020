using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.Constraints;
using R1Sharp.Inference.Reasoning;
using R1Sharp.Inference.Tools;

namespace R1Sharp.Inference.ChatClient;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IChatClient"/> over the batching engine, in process: the thought comes back as
/// <see cref="TextReasoningContent"/> and the answer as <see cref="TextContent"/>, with usage (reasoning tokens
/// included). ChatOptions: Temperature, TopP, TopK, MaxOutputTokens, Seed, StopSequences, presence/frequency
/// penalties, Reasoning.Effort (mapped like the API's reasoning_effort: None = no thinking, ExtraHigh = High), and
/// AdditionalProperties "thinking_budget" (int) and "ignore_eos" (bool). Tools: <see cref="AIFunctionDeclaration"/>s
/// in ChatOptions.Tools are rendered into the prompt and the model's calls come back as <see cref="FunctionCallContent"/>
/// (finish reason ToolCalls); ToolMode RequireAny / RequireSpecific force a call whose arguments match the schema;
/// <see cref="FunctionCallContent"/> and <see cref="FunctionResultContent"/> in the messages are rendered back.
/// ResponseFormat Json (with or without a schema) constrains the answer as the API's response_format does.
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
        var tools = options?.Tools?.OfType<AIFunctionDeclaration>()
            .Select(f => new ToolDefinition(f.Name, f.Description, f.JsonSchema)).ToList() ?? [];
        var choice = tools.Count == 0 || options?.ToolMode is NoneChatToolMode ? ToolChoice.None
            : options?.ToolMode is RequiredChatToolMode required ? new ToolChoice(ToolChoiceMode.Required, required.RequiredFunctionName)
            : ToolChoice.Auto;
        GrammarExpr? format = options?.ResponseFormat is ChatResponseFormatJson json
            ? AnswerGrammar.Json(json.Schema is { } schema ? GrammarExpr.JsonSchema(schema) : GrammarExpr.AnyJsonObject())
            : null;
        var parameters = Parameters(options);
        if (AnswerGrammar.For(engine.ToolCalls, engine.SpecialToken, tools, choice, options?.AllowMultipleToolCalls ?? true, format) is { } answer)
            parameters = parameters with { Constraint = engine.CreateConstraint(answer.Grammar, answer.Options) };
        var prompt = engine.PrepareChat(ToPrompt(messages, options), choice.Mode == ToolChoiceMode.None ? null : tools);
        var request = new GenerationRequest(prompt.Tokens, parameters, SplitReasoning: true, StartsInReasoning: prompt.StartsInReasoning)
        {
            Endpoint = "chat_client",
        };
        string responseId = "chatcmpl-" + Guid.NewGuid().ToString("N");
        string messageId = Guid.NewGuid().ToString("N");
        var parser = choice.Mode == ToolChoiceMode.None ? null : engine.ToolCalls.CreateParser();
        var calls = new List<ToolCall>();
        ChatResponseUpdate Update(AIContent content) => new(ChatRole.Assistant, [content])
        {
            ResponseId = responseId, MessageId = messageId, ModelId = engine.ModelName,
        };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = engine.Submit(request, cts.Token);
        try
        {
            await foreach (var update in reader.ReadAllAsync(cancellationToken))
            {
                switch (update)
                {
                    case GenerationText { Text.Length: > 0 } t:
                        if (t.Channel == TextChannel.Reasoning)
                        {
                            yield return Update(new TextReasoningContent(t.Text));
                            break;
                        }
                        int before = calls.Count;
                        string text = parser is null ? t.Text : parser.Push(t.Text, calls);
                        if (text.Length > 0) yield return Update(new TextContent(text));
                        for (int i = before; i < calls.Count; i++) yield return Update(ToContent(calls[i]));
                        break;
                    case GenerationFinished f:
                        if (parser is not null)
                        {
                            int first = calls.Count;
                            string tail = parser.Flush(calls);
                            if (tail.Length > 0) yield return Update(new TextContent(tail));
                            for (int i = first; i < calls.Count; i++) yield return Update(ToContent(calls[i]));
                        }
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
                            FinishReason = f.FinishReason is "length" or "timeout" ? ChatFinishReason.Length
                                : calls.Count > 0 ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
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

    private static FunctionCallContent ToContent(ToolCall call)
    {
        using var doc = JsonDocument.Parse(call.Arguments);
        var arguments = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
        return new FunctionCallContent(call.Id, call.Name, arguments);
    }

    private static List<PromptMessage> ToPrompt(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var result = new List<PromptMessage>();
        if (options?.Instructions is { Length: > 0 } instructions) result.Add(new PromptMessage("system", instructions));
        foreach (var m in messages)
        {
            string reasoning = string.Concat(m.Contents.OfType<TextReasoningContent>().Select(c => c.Text));
            var calls = m.Contents.OfType<FunctionCallContent>()
                .Select(c => new ToolCall(c.CallId, c.Name, JsonSerializer.Serialize(c.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions)))
                .ToList();
            var results = m.Contents.OfType<FunctionResultContent>().ToList();
            if (results.Count > 0)
            {
                // One "tool" turn per result, as the API writes them.
                foreach (var r in results)
                    result.Add(new PromptMessage("tool", r.Result as string ?? JsonSerializer.Serialize(r.Result, AIJsonUtilities.DefaultOptions)) { ToolCallId = r.CallId });
                continue;
            }
            result.Add(new PromptMessage(m.Role.Value, m.Text, reasoning.Length > 0 ? reasoning : null) { ToolCalls = calls.Count > 0 ? calls : null });
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
