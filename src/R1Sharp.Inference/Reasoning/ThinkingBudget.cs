namespace R1Sharp.Inference.Reasoning;

/// <summary>The thinking-budget rule (docs/thinking.md), one per request. The budget counts the tokens the model
/// generates inside the thought; once it has generated <see cref="Budget"/> of them and the thought is still open, the
/// engine feeds <see cref="ThinkTags.CloseTokens"/> ("\n&lt;/think&gt;\n\n") instead of sampling, and the model answers.
/// Those forced tokens are not reasoning, so <see cref="ReasoningTokens"/> never exceeds the budget. Budget 0: no
/// thought at all (a prompt that opened one is closed at once; a model that has not opened one may not).</summary>
public sealed class ThinkingBudget
{
    /// <param name="budget">null = unlimited; otherwise the most reasoning tokens the model may generate.</param>
    public ThinkingBudget(int? budget)
    {
        if (budget < 0) throw new ArgumentOutOfRangeException(nameof(budget), "a thinking budget cannot be negative");
        Budget = budget;
    }

    public int? Budget { get; }

    /// <summary>Tokens the model generated inside the thought so far.</summary>
    public int ReasoningTokens { get; private set; }

    /// <summary>Whether the model may open a thought of its own.</summary>
    public bool AllowsThought => Budget != 0;

    /// <summary>The thought is open and the budget is spent: the next tokens must close it.</summary>
    public bool MustClose(ReasoningPhase phase) => phase == ReasoningPhase.Thought && Budget is int b && ReasoningTokens >= b;

    /// <summary>Counts a token the model generated while the thought was open (not a forced one).</summary>
    public void CountReasoningToken() => ReasoningTokens++;

    /// <summary>reasoning_effort -> budget, the one mapping for the API, the IChatClient and the CLI:
    /// "none" and "minimal" 0 (answer without thinking), "low" 1024, "medium" 4096, "high" unlimited (null);
    /// null or empty = unlimited. Unknown values throw ArgumentException (the API maps it to a 400).</summary>
    public static int? FromReasoningEffort(string? effort) => effort?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "none" or "minimal" => 0,
        "low" => 1024,
        "medium" => 4096,
        "high" => null,
        _ => throw new ArgumentException($"reasoning_effort must be one of none, minimal, low, medium, high (not '{effort}')", nameof(effort)),
    };
}
