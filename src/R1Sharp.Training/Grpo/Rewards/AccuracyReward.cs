using R1Sharp.Evaluation;

namespace R1Sharp.Training.Grpo.Rewards;

/// <summary>
/// "accuracy": 1 when the completion's final answer is right, else 0, by the evaluation's own check
/// (<see cref="AnswerVerifier"/>: the exact final answer, "The answer is X" or \boxed{X}, for arithmetic and math rows;
/// the Countdown checker for Countdown rows), so a sample scores the same in training and in `r1 eval`.
/// </summary>
public sealed class AccuracyReward : IRewardFunction
{
    public const string RewardName = "accuracy";

    public string Name => RewardName;

    public static bool IsCorrect(RewardSample sample) =>
        sample.Prompt.Problem is { } item && AnswerVerifier.IsCorrectCompletion(item, sample.Completion);

    public void Score(IReadOnlyList<RewardSample> samples, Span<double> scores)
    {
        for (int i = 0; i < samples.Count; i++)
        {
            if (samples[i].Prompt.Problem is null)
                throw new InvalidOperationException($"line {samples[i].Prompt.Line}: the accuracy reward needs an \"answer\" in the row");
            scores[i] = IsCorrect(samples[i]) ? 1 : 0;
        }
    }

    public void Dispose() { }
}
