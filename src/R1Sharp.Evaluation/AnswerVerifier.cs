namespace R1Sharp.Evaluation;

/// <summary>
/// The verifiable check of an answer, chosen by the problem's task: Countdown tasks ("countdown", "countdown3", ...)
/// are checked by <see cref="CountdownVerifier"/> (the expression uses the given numbers and makes the target), every
/// other task by its exact final answer (<see cref="AnswerMatcher"/>). Evaluation and GRPO's rewards both call this,
/// so a sample scores the same in both.
/// </summary>
public static class AnswerVerifier
{
    public static bool IsCountdownTask(string? task) => task != null && task.StartsWith("countdown", StringComparison.OrdinalIgnoreCase);

    /// <summary>The answer a completion states: for Countdown the expression after "The answer is" (or in \boxed{}), else
    /// the final number. <paramref name="text"/> is the answer section, or a whole completion (then the part after
    /// the last &lt;/think&gt; is read).</summary>
    public static string? Extract(EvalItem item, string text) =>
        IsCountdown(item) ? AnswerExtractor.ExtractExpression(text) : AnswerExtractor.Extract(text);

    /// <summary>True when <paramref name="answer"/> (as extracted) solves the problem.</summary>
    public static bool IsCorrect(EvalItem item, string? answer)
    {
        if (!IsCountdown(item)) return AnswerMatcher.IsMatch(answer, item.Gold);
        return answer != null && CountdownVerifier.Check(answer, Puzzle(item)).IsCorrect;
    }

    /// <summary>Extracts and checks in one step: the reward of a completion (generated text after the prompt).</summary>
    public static bool IsCorrectCompletion(EvalItem item, string completion) => IsCorrect(item, Extract(item, completion));

    /// <summary>The key answers are grouped by in a majority vote: for Countdown the value a valid expression makes (all
    /// correct answers agree), else the answer text; for other tasks <see cref="AnswerMatcher.VoteKey"/>.</summary>
    public static string VoteKey(EvalItem item, string answer)
    {
        if (!IsCountdown(item)) return AnswerMatcher.VoteKey(answer);
        var check = CountdownVerifier.Check(answer, Puzzle(item));
        return check.Verdict is CountdownVerdict.Correct or CountdownVerdict.WrongValue
            ? $"={check.Numerator}/{check.Denominator}"
            : "invalid:" + answer.Replace(" ", "");
    }

    private static bool IsCountdown(EvalItem item) => IsCountdownTask(item.Task) || item.Countdown != null;

    private static CountdownPuzzle Puzzle(EvalItem item) =>
        item.Countdown ?? CountdownPuzzle.TryParse(item.Question)
        ?? throw new InvalidOperationException($"line {item.Line}: a Countdown problem without numbers and target");
}
