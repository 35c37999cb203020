namespace R1Sharp.Training.Grpo;

/// <summary>One sampled completion: its prompt (index into the round's prompts, and its tokens), the generated token
/// ids exactly as sampled (a final end-of-generation token included), the text they decode to (without it), and
/// whether the length limit cut it.</summary>
public sealed record Rollout(int PromptIndex, int[] PromptTokens, int[] Tokens, string Text, bool Truncated);
