namespace R1Sharp.Training.Grpo;

/// <summary>How per-token losses are aggregated into the GRPO loss (TRL's <c>loss_type</c>).</summary>
public enum GrpoLossType
{
    /// <summary>Mean over completions of (sum over its tokens / its length): the original GRPO, length-biased.</summary>
    Grpo,
    /// <summary>Sum over all tokens / completion tokens of the micro-batch.</summary>
    Bnpo,
    /// <summary>Sum over all tokens / (completions x max_completion_length) (Dr. GRPO).</summary>
    DrGrpo,
    /// <summary>Sum over all tokens / completion tokens of the whole accumulated batch (DAPO; TRL's default).</summary>
    Dapo,
}
