namespace R1Sharp.Training.Grpo;

/// <summary>
/// One sampled completion: the prompt's token ids, the completion's (the tokens trained on, EOS included when sampled),
/// its reward and the id of its group (the completions sampled for the same prompt).
/// <see cref="NoLoss"/> keeps the row in the batch (its reward still counts in its group's advantages) but gives its
/// tokens no loss, as TRL's mask_truncated_completions does for completions cut by the length limit.
/// <see cref="Line"/> is the 1-based line of the data file it came from (for error messages).
/// </summary>
public sealed record GrpoRow(int[] Prompt, int[] Completion, double Reward, int Group, bool NoLoss = false, int Line = 0)
{
    /// <summary>Prompt and completion as one sequence.</summary>
    public int[] Sequence() => [.. Prompt, .. Completion];
}
