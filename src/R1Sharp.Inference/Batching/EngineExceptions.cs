namespace R1Sharp.Inference.Batching;

/// <summary>The request queue is full; try again after <see cref="RetryAfter"/>.</summary>
public sealed class EngineOverloadedException(TimeSpan retryAfter)
    : Exception("the server is busy: all slots are in use and the queue is full")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>The prompt (plus at least one generated token) does not fit in a slot's context.</summary>
public sealed class ContextLengthExceededException(int promptTokens, int contextLength)
    : Exception($"this model's context is {contextLength} tokens, but the prompt has {promptTokens} tokens")
{
    public int PromptTokens { get; } = promptTokens;
    public int ContextLength { get; } = contextLength;
}
