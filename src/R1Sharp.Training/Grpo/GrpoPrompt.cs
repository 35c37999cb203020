using R1Sharp.Evaluation;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Training.Grpo;

/// <summary>
/// One prompt of a GRPO data file: the chat to render (<see cref="Messages"/>, ending with the user's turn), the
/// problem as the evaluation reads it (gold answer, task, Countdown puzzle; null for a row without an answer, which
/// only rewards other than accuracy can score), the row's JSON (handed to external reward commands) and its line.
/// </summary>
public sealed record GrpoPrompt(int Line, IReadOnlyList<PromptMessage> Messages, EvalItem? Problem, string RowJson)
{
    /// <summary>The last user turn (what external rewards get as "prompt").</summary>
    public string Question => Messages.Last(m => m.Role == "user").Content;
}
