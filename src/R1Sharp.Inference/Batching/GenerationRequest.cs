namespace R1Sharp.Inference.Batching;

/// <summary>One sequence to generate: a tokenized prompt plus its settings.</summary>
/// <param name="PromptTokens">The prompt, already rendered and tokenized (BOS included when the model wants it).</param>
/// <param name="Parameters">Sampling and limits.</param>
/// <param name="SplitReasoning">Separate the thought (&lt;think&gt;...&lt;/think&gt;) from the answer and control the think
/// tags (chat), or pass all text through as the answer (raw completions).</param>
/// <param name="StartsInReasoning">The prompt already opened &lt;think&gt;, so generation starts inside the thought.</param>
/// <param name="Timeout">Wall-clock limit for this request (queue wait included); null = the engine's default.</param>
public sealed record GenerationRequest(
    int[] PromptTokens,
    GenerationParameters Parameters,
    bool SplitReasoning = true,
    bool StartsInReasoning = false,
    TimeSpan? Timeout = null)
{
    /// <summary>Report the generated token ids in <see cref="GenerationFinished.Tokens"/> (for training rollouts).</summary>
    public bool ReturnTokens { get; init; }

    /// <summary>Who asked (the `endpoint` label of the request metrics: chat, completions, ...).</summary>
    public string Endpoint { get; init; } = "engine";
}
