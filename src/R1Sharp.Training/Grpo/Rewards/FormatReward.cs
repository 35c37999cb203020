namespace R1Sharp.Training.Grpo.Rewards;

/// <summary>
/// "format": 1 when the completion has R1's shape, else 0: the thought (opened by the prompt) is closed exactly once
/// with &lt;/think&gt; after some reasoning, no second &lt;think&gt; is opened, and the last non-empty line after it is a
/// final-answer line: "The answer is X" (X not empty) or one holding \boxed{...}.
/// </summary>
public sealed class FormatReward : IRewardFunction
{
    public const string RewardName = "format";
    private const string Close = "</think>";

    public string Name => RewardName;

    public static bool IsWellFormed(string completion)
    {
        int close = completion.IndexOf(Close, StringComparison.Ordinal);
        if (close <= 0 || completion.IndexOf(Close, close + 1, StringComparison.Ordinal) >= 0) return false;
        if (completion.Contains("<think>", StringComparison.Ordinal) || completion[..close].Trim().Length == 0) return false;
        string answer = completion[(close + Close.Length)..];
        string? last = answer.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);
        if (last is null) return false;
        if (last.Contains("\\boxed{", StringComparison.Ordinal)) return true;
        const string Phrase = "The answer is";
        return last.StartsWith(Phrase, StringComparison.Ordinal) && last[Phrase.Length..].Trim().TrimEnd('.').Trim().Length > 0;
    }

    public void Score(IReadOnlyList<RewardSample> samples, Span<double> scores)
    {
        for (int i = 0; i < samples.Count; i++) scores[i] = IsWellFormed(samples[i].Completion) ? 1 : 0;
    }

    public void Dispose() { }
}
