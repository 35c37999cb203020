namespace R1Sharp.Training.Grpo;

/// <summary>
/// Where a micro-batch sits in an optimizer step with gradient accumulation, as TRL normalizes it: grpo, bnpo and
/// dr_grpo divide each micro-batch's loss by <see cref="Steps"/>; dapo divides the token sum by <see cref="Tokens"/>,
/// the completion tokens (with a loss) of all micro-batches of the step.
/// </summary>
public readonly record struct GrpoAccumulation(int Steps, long Tokens)
{
    /// <summary>The batch is the whole optimizer step.</summary>
    public static GrpoAccumulation Single(GrpoBatch batch) => new(1, batch.TokenCount);
}
