namespace R1Sharp.Training.Grpo;

/// <summary>
/// A sampled, scored batch as the optimizer steps use it: the rows (exact generated token ids, total rewards, groups,
/// masks), their advantages, the sampling policy's log-probs (when the batch is reused: --num-iterations &gt; 1), the
/// reference's (beta &gt; 0), how many optimizer steps have used it, and the rollout's statistics (logged with every
/// step that uses it). Saved in the checkpoint while it is in use, so a resumed run continues on the same batch.
/// </summary>
public sealed class GrpoRolloutBatch
{
    public required List<GrpoRow> Rows { get; init; }
    public required double[] Advantages { get; init; }
    public double[]? OldLogProbs { get; init; }
    public double[]? RefLogProbs { get; init; }
    public int Uses { get; set; }
    /// <summary>Ordered statistics of the rollout (reward means and stds, accuracy, lengths, dropped groups, speed).</summary>
    public required List<KeyValuePair<string, double>> Stats { get; init; }
}
