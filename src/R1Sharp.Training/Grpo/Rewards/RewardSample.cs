using R1Sharp.Evaluation;

namespace R1Sharp.Training.Grpo.Rewards;

/// <summary>
/// One completion to score: the prompt row it answers (<see cref="Prompt"/>), the completion's text as generated after
/// the rendered prompt (which opened the thought, so it reads "...&lt;/think&gt;\n\nThe answer is X."), its length in
/// tokens and whether the length limit cut it (<see cref="Truncated"/>).
/// </summary>
public sealed record RewardSample(GrpoPrompt Prompt, string Completion, int CompletionTokens, bool Truncated);
