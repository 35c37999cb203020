namespace R1Sharp.Training.Grpo.Rewards;

/// <summary>
/// "overlong": DAPO's soft overlong punishment (Yu et al. 2025, eq. 13). With L the completion's length in tokens,
/// L_max the maximum completion length and L_cache the buffer: 0 when L &lt;= L_max - L_cache,
/// ((L_max - L_cache) - L) / L_cache inside the buffer (so -1 at L_max, where generation is cut), -1 beyond L_max.
/// </summary>
public sealed class OverlongReward(int maxCompletionLength, int buffer) : IRewardFunction
{
    public const string RewardName = "overlong";

    public string Name => RewardName;
    public int MaxCompletionLength { get; } = maxCompletionLength >= 1 ? maxCompletionLength : throw new ArgumentException("max-completion-length must be at least 1");
    public int Buffer { get; } = buffer >= 1 && buffer <= maxCompletionLength ? buffer
        : throw new ArgumentException($"--overlong-buffer must be between 1 and --max-completion-length ({maxCompletionLength}), not {buffer}");

    public double Penalty(int length)
    {
        if (length > MaxCompletionLength) return -1;
        int free = MaxCompletionLength - Buffer;
        return length <= free ? 0 : (double)(free - length) / Buffer;
    }

    public void Score(IReadOnlyList<RewardSample> samples, Span<double> scores)
    {
        for (int i = 0; i < samples.Count; i++) scores[i] = Penalty(samples[i].CompletionTokens);
    }

    public void Dispose() { }
}
