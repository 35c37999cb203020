namespace R1Sharp.Inference.Batching;

/// <summary>Settings of a <see cref="BatchingEngine"/>.</summary>
public sealed record BatchingOptions
{
    /// <summary>Sequences decoded together (each has its own KV cache of <see cref="ContextSize"/> tokens).</summary>
    public int Slots { get; init; } = 4;
    /// <summary>Tokens per slot (prompt + completion); null = min(model context, 4096).</summary>
    public int? ContextSize { get; init; }
    /// <summary>Requests that may wait for a slot; more are refused with <see cref="EngineOverloadedException"/>.</summary>
    public int QueueSize { get; init; } = 64;
    /// <summary>Prompt tokens one slot feeds per step, so a long prompt does not stall the slots that are decoding.</summary>
    public int PrefillChunk { get; init; } = 256;
    /// <summary>Prompt tokens all slots together feed per step.</summary>
    public int PrefillBudget { get; init; } = 512;
    /// <summary>Wall-clock limit of a request that sets none.</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromMinutes(10);
}
