namespace R1Sharp.Training.Data;

/// <summary>One generated problem: the question a user asks, the step-by-step working that goes inside
/// <c>&lt;think&gt;...&lt;/think&gt;</c>, and the final answer (a number, or a Countdown expression).</summary>
/// <param name="Task">The task family ("add", "sub", "mul", "div", "word", "countdown3", "countdown4"): rows carry it so
/// evaluation and GRPO rewards pick the matching verifier.</param>
/// <param name="Key">Canonical identity of the problem (operation and operands, wording and operand order excluded):
/// two problems with the same key are the same problem. The train/test partition is a function of this key.</param>
public sealed record GeneratedProblem(string Task, string Key, string Question, string Working, string Answer)
{
    /// <summary>The phrase every answer uses; evaluation looks for the answer after it.</summary>
    public const string AnswerPrefix = "The answer is ";

    /// <summary>Countdown: the numbers given in the question, in its order.</summary>
    public IReadOnlyList<int>? Numbers { get; init; }

    /// <summary>Countdown: the number to make.</summary>
    public int? Target { get; init; }

    /// <summary>The assistant turn in R1's format: the working inside think tags, a blank line, the short answer.</summary>
    public string AssistantContent => $"<think>\n{Working}\n</think>\n\n{AnswerPrefix}{Answer}.";
}
