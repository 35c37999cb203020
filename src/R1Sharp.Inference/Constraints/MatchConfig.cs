namespace R1Sharp.Inference.Constraints;

/// <summary>One way the text so far can be read by the grammar: a consuming node, the state of its terminal (for string
/// and number nodes), the call stack and the current object's used keys. <see cref="Node"/> = <see cref="Accepted"/>
/// when the whole grammar is complete.</summary>
internal struct MatchConfig
{
    public const int Accepted = -1;

    public int Node;
    public StringScan Text;
    public NumberScan Number;
    public CallFrame? Stack;
    public UsedKeys? Keys;

    public readonly bool SameAs(in MatchConfig o) =>
        Node == o.Node && ReferenceEquals(Keys, o.Keys) && Text.Equals(o.Text) && Number.Equals(o.Number) && CallFrame.Same(Stack, o.Stack);
}
