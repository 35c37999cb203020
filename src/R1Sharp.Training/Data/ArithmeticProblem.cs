namespace R1Sharp.Training.Data;

/// <summary>The kinds of generated problems.</summary>
public enum ArithmeticKind { Addition, Subtraction, Multiplication, Division, WordProblem }

/// <summary>One generated problem: the question a user asks, the step-by-step working that goes inside
/// <c>&lt;think&gt;...&lt;/think&gt;</c>, and the exact integer answer.</summary>
/// <param name="Key">Canonical identity of the problem (operation and operands, wording excluded): two problems
/// with the same key are the same problem. The train/test partition is a function of this key.</param>
public sealed record ArithmeticProblem(ArithmeticKind Kind, string Key, string Question, string Working, long Answer)
{
    /// <summary>The phrase every answer uses; evaluation looks for the number after it.</summary>
    public const string AnswerPrefix = "The answer is ";

    /// <summary>The assistant turn in R1's format: the working inside think tags, a blank line, the short answer.</summary>
    public string AssistantContent => $"<think>\n{Working}\n</think>\n\n{AnswerPrefix}{Answer}.";
}
