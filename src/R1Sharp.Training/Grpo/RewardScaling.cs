namespace R1Sharp.Training.Grpo;

/// <summary>How advantages are scaled (TRL's <c>scale_rewards</c>); every mode first subtracts the group's mean reward.</summary>
public enum RewardScaling
{
    /// <summary>Divide by the group's standard deviation (+ 1e-4): TRL's default.</summary>
    Group,
    /// <summary>Divide by the standard deviation of all rewards of the batch (+ 1e-4).</summary>
    Batch,
    /// <summary>No scaling (Dr. GRPO).</summary>
    None,
}
