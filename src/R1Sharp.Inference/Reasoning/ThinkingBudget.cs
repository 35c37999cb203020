namespace R1Sharp.Inference.Reasoning;

/// <summary>Caps how many tokens a sequence may spend thinking (see docs/thinking.md).
/// <list type="bullet">
/// <item>Budget null: unlimited. Budget N &gt; 0: when the N-th reasoning token has been generated and the model has not
///   closed its thought, the generator must feed <see cref="ForcedTokens"/> (the ids of "&lt;/think&gt;" then "\n\n")
///   instead of sampling, after which the model writes its answer.</item>
/// <item>Budget 0: no thinking at all; the prompt gets the empty thought, see <see cref="ApplyToPrompt"/>, and the
///   reasoning splitter then starts in answer mode.</item>
/// </list>
/// Counting starts at once when the prompt already opened &lt;think&gt; (R1's templates do), otherwise when the model
/// emits the &lt;think&gt; token; it stops when the model emits &lt;/think&gt; itself.</summary>
public sealed class ThinkingBudget
{
    private readonly int[] _forced;
    private readonly int _endThinkToken;
    private readonly int? _startThinkToken;
    private bool _forcedOnce;

    /// <param name="budget">null = unlimited; otherwise the most reasoning tokens the model may generate.</param>
    /// <param name="endThinkToken">id of "&lt;/think&gt;".</param>
    /// <param name="afterEndTokens">ids of what follows &lt;/think&gt; when forced (R1: "\n\n").</param>
    /// <param name="startsInReasoning">true when the prompt already ends with an opened &lt;think&gt;.</param>
    /// <param name="startThinkToken">id of "&lt;think&gt;" (needed when the prompt did not open it).</param>
    public ThinkingBudget(int? budget, int endThinkToken, ReadOnlySpan<int> afterEndTokens, bool startsInReasoning = true, int? startThinkToken = null)
    {
        if (budget < 0) throw new ArgumentOutOfRangeException(nameof(budget), "a thinking budget cannot be negative");
        Budget = budget;
        _endThinkToken = endThinkToken;
        _startThinkToken = startThinkToken;
        _forced = [endThinkToken, .. afterEndTokens];
        InReasoning = startsInReasoning && budget != 0;
        Done = budget == 0;
    }

    /// <summary>A budget for a model's vocabulary: &lt;/think&gt; and &lt;think&gt; looked up as single tokens (R1's vocabularies
    /// have both), "\n\n" encoded as text.</summary>
    public static ThinkingBudget ForTokenizer(R1Sharp.Tokenization.Tokenizer tokenizer, int? budget, bool startsInReasoning)
    {
        int end = tokenizer.FindToken("</think>")
            ?? throw new InvalidOperationException("the vocabulary has no </think> token, so a thinking budget cannot be enforced");
        return new ThinkingBudget(budget, end, tokenizer.Encode("\n\n"), startsInReasoning, tokenizer.FindToken("<think>"));
    }

    public int? Budget { get; }

    /// <summary>Reasoning tokens generated so far.</summary>
    public int ReasoningTokens { get; private set; }

    /// <summary>Inside the thought (counting).</summary>
    public bool InReasoning { get; private set; }

    /// <summary>The thought is over (closed by the model or forced), or there is none (budget 0).</summary>
    public bool Done { get; private set; }

    /// <summary>"&lt;/think&gt;" then the tokens after it, to feed when the budget is spent.</summary>
    public ReadOnlySpan<int> ForcedTokens => _forced;

    /// <summary>Call with every generated token (not with forced ones). Returns the tokens the generator must feed next
    /// instead of sampling: ForcedTokens once when this token spent the budget, otherwise empty.</summary>
    public ReadOnlySpan<int> Observe(int token)
    {
        if (Done) return [];
        if (!InReasoning)
        {
            if (_startThinkToken == token) InReasoning = true;
            return [];
        }
        if (token == _endThinkToken)
        {
            InReasoning = false;
            Done = true;
            return [];
        }
        ReasoningTokens++;
        if (Budget is { } b && ReasoningTokens >= b && !_forcedOnce)
        {
            _forcedOnce = true;
            InReasoning = false;
            Done = true;
            return _forced;
        }
        return [];
    }

    /// <summary>Budget 0 closes the thought in the prompt: a prompt ending with "&lt;think&gt;\n" (R1's generation prompt)
    /// gets "\n&lt;/think&gt;\n\n" (so it ends "&lt;think&gt;\n\n&lt;/think&gt;\n\n"); any other prompt gets
    /// "&lt;think&gt;\n\n&lt;/think&gt;\n\n". Other budgets leave the prompt as it is.</summary>
    public static string ApplyToPrompt(string prompt, int? budget)
    {
        if (budget != 0) return prompt;
        if (prompt.EndsWith("<think>\n", StringComparison.Ordinal)) return prompt + "\n</think>\n\n";
        return prompt + "<think>\n\n</think>\n\n";
    }

    /// <summary>True when the rendered prompt leaves the model inside an opened thought.</summary>
    public static bool PromptOpensThinking(string prompt)
    {
        int open = prompt.LastIndexOf("<think>", StringComparison.Ordinal);
        return open >= 0 && prompt.IndexOf("</think>", open, StringComparison.Ordinal) < 0;
    }

    /// <summary>reasoning_effort -> budget: "none"/"minimal" 0, "low" 1024, "medium" 4096, "high" unlimited (null);
    /// null/empty = unlimited. Unknown values throw ArgumentException (the API maps it to a 400).</summary>
    public static int? FromReasoningEffort(string? effort) => effort?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "none" or "minimal" => 0,
        "low" => 1024,
        "medium" => 4096,
        "high" => null,
        _ => throw new ArgumentException($"reasoning_effort must be one of none, minimal, low, medium, high (got '{effort}')", nameof(effort)),
    };
}
