namespace R1Sharp.Inference.Constraints;

/// <summary>A named sub-grammar called with its own activation; its body is set once built (rules may be shared).</summary>
internal sealed class GrammarRule(string name)
{
    public string Name { get; } = name;
    public GrammarExpr? Body { get; set; }
}
