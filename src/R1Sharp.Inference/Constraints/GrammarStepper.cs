namespace R1Sharp.Inference.Constraints;

/// <summary>
/// Advances configuration sets by a byte or a token: the transition function of the pushdown automaton. A set is
/// always closed: every configuration sits at a node that consumes (or is Accepted), calls are entered and rule ends
/// returned from eagerly, terminals that can neither go on nor end are dropped. Every configuration in a set can be
/// completed (the grammar keeps only live nodes, terminals only viable states), so a non-empty set is never a dead end.
/// </summary>
internal sealed class GrammarStepper(Grammar grammar, GraphemeClasses graphemes)
{
    private readonly GrammarNode[] _nodes = grammar.Nodes;

    public Grammar Grammar { get; } = grammar;

    public GrammarNode Node(int i) => _nodes[i];

    /// <summary>The configurations before any text.</summary>
    public void Start(ConfigSet into)
    {
        into.Clear();
        Enter(into, Grammar.Start, null, null);
    }

    /// <summary>Adds the closure of arriving at <paramref name="node"/>.</summary>
    public void Enter(ConfigSet into, int node, CallFrame? stack, UsedKeys? keys)
    {
        var n = _nodes[node];
        foreach (int m in n.Consuming) into.Add(new MatchConfig { Node = m, Stack = stack, Keys = keys });
        foreach (var call in n.Calls) Enter(into, call.Start, new CallFrame(call.Return, keys, stack), null);
        if (n.Returns)
        {
            if (stack == null) into.Add(new MatchConfig { Node = MatchConfig.Accepted });
            else Enter(into, stack.Return, stack.Parent, stack.Keys);
        }
    }

    /// <summary><paramref name="into"/> := the configurations after reading <paramref name="b"/> from <paramref name="from"/>.</summary>
    public void Step(ReadOnlySpan<MatchConfig> from, byte b, ConfigSet into)
    {
        into.Clear();
        foreach (ref readonly var c in from) StepOne(c, b, into);
    }

    public void StepOne(in MatchConfig c, byte b, ConfigSet into)
    {
        if (c.Node < 0) return;
        var n = _nodes[c.Node];
        switch (n.Kind)
        {
            case NodeKind.Plain:
                foreach (var e in n.Bytes)
                    if (b >= e.Lo && b <= e.Hi) Enter(into, e.Target, c.Stack, c.Keys);
                break;
            case NodeKind.String:
                var spec = n.String!;
                var text = c.Text;
                switch (text.Step(b, spec, graphemes))
                {
                    case ScanResult.Inside:
                        into.Add(c with { Text = text });
                        break;
                    case ScanResult.Closed:
                        var keys = c.Keys;
                        if (spec.IsKey)
                        {
                            if (spec.ExcludedKeys.Contains(text.KeyHash) || UsedKeys.Contains(keys, text.KeyHash)) break;
                            keys = new UsedKeys(text.KeyHash, keys);
                        }
                        Enter(into, n.Next, c.Stack, keys);
                        break;
                }
                break;
            default:
                var number = c.Number;
                var numberSpec = n.Number!;
                if (!number.Step(b, numberSpec)) break;
                if (number.CanExtend(numberSpec)) into.Add(c with { Number = number });
                if (number.IsComplete(numberSpec)) Enter(into, n.Next, c.Stack, c.Keys);
                break;
        }
    }

    /// <summary><paramref name="into"/> := the configurations after an exact-token edge for <paramref name="token"/>.</summary>
    public void StepToken(ReadOnlySpan<MatchConfig> from, int token, ConfigSet into)
    {
        into.Clear();
        foreach (ref readonly var c in from)
        {
            if (c.Node < 0) continue;
            foreach (var e in _nodes[c.Node].Tokens)
                if (e.Token == token) Enter(into, e.Target, c.Stack, c.Keys);
        }
    }

    /// <summary>Steps through all of <paramref name="bytes"/> using two scratch sets; the result is in the returned one
    /// (one of the two), empty when the bytes cannot follow.</summary>
    public ConfigSet StepBytes(ReadOnlySpan<MatchConfig> from, ReadOnlySpan<byte> bytes, ConfigSet a, ConfigSet b)
    {
        if (bytes.IsEmpty) throw new ArgumentException("no bytes", nameof(bytes));
        Step(from, bytes[0], a);
        for (int i = 1; i < bytes.Length && a.Count > 0; i++)
        {
            Step(a.Items, bytes[i], b);
            (a, b) = (b, a);
        }
        return a;
    }
}
