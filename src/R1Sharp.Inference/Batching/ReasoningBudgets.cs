namespace R1Sharp.Inference.Batching;

/// <summary>Thinking budgets (reasoning tokens) for reasoning_effort low / medium; high is unbounded.</summary>
public static class ReasoningBudgets
{
    public const int Low = 1024;
    public const int Medium = 4096;
}
