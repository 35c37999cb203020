namespace R1Sharp.Training.Grpo;

/// <summary>Whether a token's ratio sits in the region where the clipped surrogate is chosen (no gradient), as TRL counts it.</summary>
public enum TokenClip
{
    None,
    /// <summary>ratio &lt; 1 - epsilon with a negative advantage.</summary>
    Low,
    /// <summary>ratio &gt; 1 + epsilon_high with a positive advantage.</summary>
    High,
}
