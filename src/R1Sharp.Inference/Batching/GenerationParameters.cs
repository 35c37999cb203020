namespace R1Sharp.Inference.Batching;

/// <summary>Per-request generation settings (sampling, limits, reasoning control), as an API request states them.
/// Null sampling fields fall back to R1's recommended defaults.</summary>
public sealed record GenerationParameters
{
    public int? MaxTokens { get; init; }
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? TopK { get; init; }
    public float? MinP { get; init; }
    public float? PresencePenalty { get; init; }
    public float? FrequencyPenalty { get; init; }
    public float? RepetitionPenalty { get; init; }
    public ulong? Seed { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    public bool IgnoreEos { get; init; }
    /// <summary>Maximum reasoning tokens before the engine closes the thought itself; 0 = answer without thinking;
    /// null = no limit.</summary>
    public int? ThinkingBudget { get; init; }
    /// <summary>Number of alternatives per generated token to report with its log-probability (0 = none).</summary>
    public bool LogProbs { get; init; }
    public int TopLogProbs { get; init; }
}
