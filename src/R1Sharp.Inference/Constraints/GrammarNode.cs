namespace R1Sharp.Inference.Constraints;

internal enum NodeKind : byte { Plain, String, Number }

internal readonly record struct ByteEdge(byte Lo, byte Hi, int Target);

internal readonly record struct TokenEdge(int Token, int Target);

/// <summary>A call of the rule starting at <see cref="Start"/>; when it returns, matching goes on at <see cref="Return"/>.</summary>
internal readonly record struct CallEdge(int Start, int Return);

/// <summary>
/// One state of a rule's automaton. Plain nodes consume bytes or tokens along their edges; a String or Number node is a
/// whole terminal (its own scanner) that continues at <see cref="Next"/>. Epsilon edges and calls are followed ahead of
/// time: <see cref="Consuming"/>, <see cref="Calls"/> and <see cref="Returns"/> list what the epsilon closure of this
/// node reaches, which is all the matcher looks at.
/// </summary>
internal sealed class GrammarNode
{
    public NodeKind Kind;
    public ByteEdge[] Bytes = [];
    public TokenEdge[] Tokens = [];
    public int[] Epsilon = [];
    public CallEdge[] CallEdges = [];
    /// <summary>The end of its rule: matching returns to the caller (or the whole text is complete).</summary>
    public bool IsRuleEnd;
    public StringSpec? String;
    public NumberSpec? Number;
    public int Next = -1;

    // The epsilon closure (set by Grammar once the automaton is final).
    public int[] Consuming = [];
    public CallEdge[] Calls = [];
    public bool Returns;

    public bool IsConsuming => Kind != NodeKind.Plain || Bytes.Length > 0 || Tokens.Length > 0;
}
