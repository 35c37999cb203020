namespace R1Sharp.Inference.Sampling;

/// <summary>Sampling settings. The initial values are THE defaults of every path (API, CLI, IChatClient, eval: a
/// request that leaves a field unset gets the value here): DeepSeek's recommendation for R1, temperature 0.6 and
/// top-p 0.95; everything else off.</summary>
public sealed record SamplingOptions
{
    /// <summary>0 (or below) = greedy: the highest logit after penalties, lowest id on ties.</summary>
    public float Temperature { get; init; } = 0.6f;
    /// <summary>Keep the smallest set of most likely tokens whose probability reaches TopP (1 = off).</summary>
    public float TopP { get; init; } = 0.95f;
    /// <summary>Keep the K most likely tokens (0 = off).</summary>
    public int TopK { get; init; } = 0;
    /// <summary>Drop tokens whose probability is below MinP times the most likely token's (0 = off).</summary>
    public float MinP { get; init; } = 0;
    /// <summary>llama.cpp-style: logits of tokens seen in the window are divided by this when positive, multiplied when negative (1 = off).</summary>
    public float RepetitionPenalty { get; init; } = 1;
    /// <summary>OpenAI: subtracted once from the logit of every token present in the window.</summary>
    public float PresencePenalty { get; init; } = 0;
    /// <summary>OpenAI: subtracted from a token's logit once per occurrence in the window.</summary>
    public float FrequencyPenalty { get; init; } = 0;
    /// <summary>How many of the most recent accepted tokens the penalties look at (llama.cpp's penalty_last_n);
    /// 0 disables penalties, -1 means every accepted token.</summary>
    public int PenaltyWindow { get; init; } = 64;
    /// <summary>Seed of the sampler's generator (same seed and inputs, same tokens); null = a random seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>The defaults.</summary>
    public static SamplingOptions Default { get; } = new();

    public static SamplingOptions Greedy { get; } = new() { Temperature = 0, TopP = 1 };
}
