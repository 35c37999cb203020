using R1Sharp.Inference.Sampling;

namespace R1Sharp.Inference.Batching;

/// <summary>Per-request generation settings (sampling, limits, reasoning control), as an API request states them.
/// Null sampling fields take <see cref="SamplingOptions"/>' defaults (<see cref="ToSamplingOptions"/>).</summary>
public sealed record GenerationParameters
{
    public const int MaxTopLogProbs = 20;

    public int? MaxTokens { get; init; }
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? TopK { get; init; }
    public float? MinP { get; init; }
    public float? PresencePenalty { get; init; }
    public float? FrequencyPenalty { get; init; }
    public float? RepetitionPenalty { get; init; }
    /// <summary>Seed of the sampler (same request, same seed: same tokens on every path); null = a random seed.</summary>
    public ulong? Seed { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    /// <summary>End-of-generation tokens are never sampled (llama.cpp's ignore_eos); generation runs to a limit.</summary>
    public bool IgnoreEos { get; init; }
    /// <summary>Maximum reasoning tokens before the engine closes the thought itself; 0 = answer without thinking;
    /// null = no limit (docs/thinking.md).</summary>
    public int? ThinkingBudget { get; init; }
    /// <summary>Report each generated token's log-probability (with <see cref="TopLogProbs"/> alternatives).</summary>
    public bool LogProbs { get; init; }
    public int TopLogProbs { get; init; }
    /// <summary>Creates the constraint of this request's answer (structured outputs), once per request: it applies to
    /// the tokens sampled after the thought is closed (from the start when there is none), never to forced tokens.</summary>
    public Func<ITokenConstraint>? Constraint { get; init; }

    /// <summary>The sampler's settings for this request.</summary>
    public SamplingOptions ToSamplingOptions()
    {
        var d = SamplingOptions.Default;
        return d with
        {
            Temperature = Temperature ?? d.Temperature,
            TopP = TopP ?? d.TopP,
            TopK = TopK ?? d.TopK,
            MinP = MinP ?? d.MinP,
            RepetitionPenalty = RepetitionPenalty ?? d.RepetitionPenalty,
            PresencePenalty = PresencePenalty ?? d.PresencePenalty,
            FrequencyPenalty = FrequencyPenalty ?? d.FrequencyPenalty,
            Seed = Seed,
        };
    }

    /// <summary>Checks every field's range; throws <see cref="GenerationParameterException"/> naming the first bad one.
    /// <paramref name="displayName"/> maps the API field names (temperature, top_p, ...) to what the caller calls
    /// them (the CLI's options).</summary>
    public void Validate(Func<string, string>? displayName = null)
    {
        string Name(string field) => displayName?.Invoke(field) ?? field;
        void Range(float? value, float min, float max, string field)
        {
            if (value is { } v && !(v >= min && v <= max))
                throw new GenerationParameterException($"{Name(field)} must be between {min} and {max}", field);
        }
        Range(Temperature, 0, 2, "temperature");
        if (TopP is { } p && !(p > 0 && p <= 1)) throw new GenerationParameterException($"{Name("top_p")} must be in (0, 1]", "top_p");
        if (TopK is < 0) throw new GenerationParameterException($"{Name("top_k")} must be >= 0", "top_k");
        Range(MinP, 0, 1, "min_p");
        Range(PresencePenalty, -2, 2, "presence_penalty");
        Range(FrequencyPenalty, -2, 2, "frequency_penalty");
        if (RepetitionPenalty is { } rp && !(rp > 0 && float.IsFinite(rp)))
            throw new GenerationParameterException($"{Name("repeat_penalty")} must be > 0", "repeat_penalty");
        if (MaxTokens is < 1) throw new GenerationParameterException($"{Name("max_tokens")} must be at least 1", "max_tokens");
        if (ThinkingBudget is < 0) throw new GenerationParameterException($"{Name("thinking_budget")} must be >= 0", "thinking_budget");
        if (TopLogProbs is < 0 or > MaxTopLogProbs)
            throw new GenerationParameterException($"{Name("top_logprobs")} must be between 0 and {MaxTopLogProbs}", "top_logprobs");
    }
}
