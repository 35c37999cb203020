namespace R1Sharp.Inference.Batching;

/// <summary>The request queue is full; try again after <see cref="RetryAfter"/>.</summary>
public sealed class EngineOverloadedException(TimeSpan retryAfter)
    : Exception("the server is busy: all slots are in use and the queue is full")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>The prompt (plus at least one generated token) does not fit in a slot's context.</summary>
public sealed class ContextLengthExceededException : Exception
{
    public ContextLengthExceededException(int promptTokens, int contextLength)
        : base($"this model's context is {contextLength} tokens, but the prompt has {promptTokens} tokens")
    {
        PromptTokens = promptTokens;
        ContextLength = contextLength;
    }

    /// <summary>Tokenizing stopped as soon as the prompt could not fit (its exact length is unknown).</summary>
    public ContextLengthExceededException(int contextLength)
        : base($"this model's context is {contextLength} tokens, but the prompt has {contextLength} or more tokens")
    {
        ContextLength = contextLength;
    }

    /// <summary>The prompt's tokens; null when tokenizing stopped early.</summary>
    public int? PromptTokens { get; }
    public int ContextLength { get; }
}
