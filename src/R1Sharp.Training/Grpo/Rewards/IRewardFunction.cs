namespace R1Sharp.Training.Grpo.Rewards;

/// <summary>
/// A reward of GRPO: a score per completion. The trainer's reward is the weighted sum of its reward functions
/// (<see cref="RewardSet"/>); each is logged on its own (mean and std per step).
/// </summary>
public interface IRewardFunction : IDisposable
{
    /// <summary>The name used by --reward NAME:WEIGHT and in the logs.</summary>
    string Name { get; }

    /// <summary>Writes the score of every sample into <paramref name="scores"/> (same order); scores are finite.</summary>
    void Score(IReadOnlyList<RewardSample> samples, Span<double> scores);
}
