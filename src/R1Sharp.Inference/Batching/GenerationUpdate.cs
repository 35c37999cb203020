namespace R1Sharp.Inference.Batching;

/// <summary>Which stream a piece of generated text belongs to.</summary>
public enum TextChannel { Reasoning, Answer }

/// <summary>One alternative token and its log-probability.</summary>
public sealed record TokenAlternative(int Token, string Text, float LogProb, byte[] Bytes);

/// <summary>A generated token with its log-probability and the most likely alternatives at that step.</summary>
public sealed record TokenLogProb(int Token, string Text, float LogProb, byte[] Bytes, IReadOnlyList<TokenAlternative> Top);

/// <summary>What a running request streams to its consumer: text pieces, then exactly one <see cref="GenerationFinished"/>.</summary>
public abstract record GenerationUpdate;

/// <summary>New text (never containing &lt;think&gt; or &lt;/think&gt; when reasoning is split); <paramref name="LogProbs"/>
/// holds the tokens that produced it when the request asked for log-probabilities.</summary>
public sealed record GenerationText(TextChannel Channel, string Text, IReadOnlyList<TokenLogProb>? LogProbs = null) : GenerationUpdate;

/// <summary>The end of a request. <paramref name="FinishReason"/>: "stop" (end of generation, a stop string, or a
/// constraint that is complete), "length" (max tokens or context), "cancelled", "timeout".
/// <paramref name="ReasoningTokens"/>: tokens the model generated inside the thought (at most the thinking budget; the
/// forced closing text is not reasoning). <paramref name="Tokens"/>: every generated token id in order, forced ones and
/// a final end-of-generation token included (CompletionTokens of them), when the request asked for them.</summary>
public sealed record GenerationFinished(
    string FinishReason,
    int PromptTokens,
    int CompletionTokens,
    int ReasoningTokens,
    int CachedPromptTokens,
    IReadOnlyList<int>? Tokens = null) : GenerationUpdate;
