using static R1Sharp.Inference.Constraints.GrammarExpr;

namespace R1Sharp.Inference.Constraints;

/// <summary>
/// Lowers grammar expressions to automata (Thompson's construction, one automaton per rule, calls between rules),
/// then keeps only what can still complete: a node is live when some path from it reaches its rule's end (calls
/// count when the callee can complete), and edges into dead nodes are removed, so every state the matcher reaches
/// can be finished. Finally each node's epsilon closure is computed once.
/// </summary>
internal sealed class GrammarBuilder
{
    private static readonly (byte, byte)[] s_whitespace = [((byte)'\t', (byte)'\n'), ((byte)'\r', (byte)'\r'), ((byte)' ', (byte)' ')];

    private readonly List<GrammarNode> _nodes = [];
    private readonly Dictionary<GrammarRule, (int Start, int End)> _rules = [];
    private readonly Queue<GrammarRule> _pending = new();
    private readonly JsonGrammarOptions _options;

    private GrammarBuilder(JsonGrammarOptions options) => _options = options;

    public static (GrammarNode[] Nodes, int Start) Build(GrammarExpr root, JsonGrammarOptions options)
    {
        var b = new GrammarBuilder(options);
        int start = b.NewNode(), end = b.NewNode();
        b._nodes[end].IsRuleEnd = true;
        b.Lower(root, start, end);
        while (b._pending.TryDequeue(out var rule))
        {
            var (s, e) = b._rules[rule];
            b.Lower(rule.Body ?? throw new InvalidOperationException($"rule {rule.Name} has no body"), s, e);
        }
        var nodes = b._nodes.ToArray();
        if (!Prune(nodes, start)) throw new ArgumentException("the grammar admits no text", nameof(root));
        ComputeClosures(nodes);
        return (nodes, start);
    }

    private int NewNode()
    {
        _nodes.Add(new GrammarNode());
        return _nodes.Count - 1;
    }

    /// <summary>A terminal node entered from <paramref name="from"/> that continues at <paramref name="to"/>.</summary>
    private int Terminal(NodeKind kind, int from, int to)
    {
        int n = NewNode();
        _nodes[n].Kind = kind;
        _nodes[n].Next = to;
        Epsilon(from, n);
        return n;
    }

    private void Epsilon(int from, int to) => _nodes[from].Epsilon = [.. _nodes[from].Epsilon, to];

    private void Byte(int from, byte lo, byte hi, int to) => _nodes[from].Bytes = [.. _nodes[from].Bytes, new ByteEdge(lo, hi, to)];

    /// <summary>Adds nodes and edges so that the paths from <paramref name="from"/> to <paramref name="to"/> spell <paramref name="e"/>.</summary>
    private void Lower(GrammarExpr e, int from, int to)
    {
        switch (e)
        {
            case TextExpr t:
                int at = from;
                for (int i = 0; i < t.Bytes.Length; i++)
                {
                    int next = i == t.Bytes.Length - 1 ? to : NewNode();
                    Byte(at, t.Bytes[i], t.Bytes[i], next);
                    at = next;
                }
                if (t.Bytes.Length == 0) Epsilon(from, to);
                break;
            case ByteSetExpr set:
                foreach (var (lo, hi) in set.Ranges) Byte(from, lo, hi, to);
                break;
            case TokenExpr tok:
                _nodes[from].Tokens = [.. _nodes[from].Tokens, new TokenEdge(tok.Id, to)];
                break;
            case SequenceExpr seq:
                if (seq.Items.Length == 0)
                {
                    Epsilon(from, to);
                    break;
                }
                int cur = from;
                for (int i = 0; i < seq.Items.Length; i++)
                {
                    int next = i == seq.Items.Length - 1 ? to : NewNode();
                    Lower(seq.Items[i], cur, next);
                    cur = next;
                }
                break;
            case ChoiceExpr choice:
                foreach (var alt in choice.Alternatives)
                {
                    int a = NewNode(), z = NewNode();
                    Epsilon(from, a);
                    Lower(alt, a, z);
                    Epsilon(z, to);
                }
                break;
            case RepeatExpr r:
                LowerRepeat(r.Item, r.Min, r.Max, from, to);
                break;
            case WhitespaceExpr:
                if (_options.MaxWhitespace == 0) Epsilon(from, to);
                else LowerRepeat(new ByteSetExpr(s_whitespace), 0, _options.MaxWhitespace, from, to);
                break;
            case SchemaExpr schema:
                Lower(JsonSchemaCompiler.Compile(schema.Schema, _options), from, to);
                break;
            case StringExpr str:
                _nodes[Terminal(NodeKind.String, from, to)].String = str.Spec;
                break;
            case NumberExpr num:
                _nodes[Terminal(NodeKind.Number, from, to)].Number = num.Spec;
                break;
            case RuleExpr call:
                if (!_rules.TryGetValue(call.Rule, out var rule))
                {
                    int s = NewNode(), end = NewNode();
                    _nodes[end].IsRuleEnd = true;
                    rule = (s, end);
                    _rules[call.Rule] = rule;
                    _pending.Enqueue(call.Rule);
                }
                _nodes[from].CallEdges = [.. _nodes[from].CallEdges, new CallEdge(rule.Start, to)];
                break;
            case ObjectExpr obj:
                LowerObject(obj, from, to);
                break;
            case ArrayExpr arr:
                LowerArray(arr, from, to);
                break;
            default:
                throw new ArgumentException($"unknown grammar expression {e.GetType().Name}", nameof(e));
        }
    }

    private void LowerRepeat(GrammarExpr item, int min, int? max, int from, int to)
    {
        int cur = from;
        for (int i = 0; i < min; i++)
        {
            int next = NewNode();
            Lower(item, cur, next);
            cur = next;
        }
        if (max is int m)
        {
            for (int i = min; i < m; i++)
            {
                Epsilon(cur, to);
                int next = NewNode();
                Lower(item, cur, next);
                cur = next;
            }
            Epsilon(cur, to);
        }
        else
        {
            int back = NewNode();
            Lower(item, cur, back);
            Epsilon(back, cur);
            Epsilon(cur, to);
        }
    }

    private int Chain(int from, params GrammarExpr[] parts)
    {
        int cur = from;
        foreach (var p in parts)
        {
            int next = NewNode();
            Lower(p, cur, next);
            cur = next;
        }
        return cur;
    }

    /// <summary>
    /// '{' ws, then the listed members in order (optional ones may be skipped), then free members, then '}'.
    /// States: before[i] = nothing written yet and member i is next; after[i] = some member written and member i
    /// is next; comma[i] = a comma written and a member from i on must follow. A comma is written once, then the
    /// member (or a skip of optional ones) chosen, so blanks around it are read by one state only.
    /// </summary>
    private void LowerObject(ObjectExpr obj, int from, int to)
    {
        var ws = new WhitespaceExpr();
        int n = obj.Members.Length;
        var before = new int[n + 1];
        var after = new int[n + 1];
        var comma = new int[n + 1];
        for (int i = 0; i <= n; i++)
        {
            before[i] = NewNode();
            after[i] = NewNode();
            comma[i] = NewNode();
        }
        var restOptional = new bool[n + 1];
        restOptional[n] = true;
        for (int i = n - 1; i >= 0; i--) restOptional[i] = restOptional[i + 1] && !obj.Members[i].Required;

        Lower(new SequenceExpr([new TextExpr("{"u8.ToArray()), ws]), from, before[0]);
        var close = new TextExpr("}"u8.ToArray());
        for (int i = 0; i < n; i++)
        {
            var m = obj.Members[i];
            GrammarExpr member = new SequenceExpr([new TextExpr(m.Key), ws, new TextExpr(":"u8.ToArray()), ws, m.Value]);
            Lower(member, before[i], after[i + 1]);
            Lower(member, comma[i], after[i + 1]);
            if (!m.Required)
            {
                Epsilon(before[i], before[i + 1]);
                Epsilon(comma[i], comma[i + 1]);
            }
            Lower(new SequenceExpr([ws, new TextExpr(","u8.ToArray()), ws]), after[i], comma[i]);
            if (restOptional[i]) Lower(new SequenceExpr([ws, close]), after[i], to);
        }
        if (obj.AdditionalValue is { } value)
        {
            GrammarExpr free = new SequenceExpr([new StringExpr(obj.AdditionalKey!), ws, new TextExpr(":"u8.ToArray()), ws, value]);
            Lower(free, before[n], after[n]);
            Lower(free, comma[n], after[n]);
            Lower(new SequenceExpr([ws, new TextExpr(","u8.ToArray()), ws]), after[n], comma[n]);
        }
        Lower(close, before[n], to);
        Lower(new SequenceExpr([ws, close]), after[n], to);
    }

    /// <summary>'[' ws, items separated by ws ',' ws, ws ']'; count[j] = j items written.</summary>
    private void LowerArray(ArrayExpr arr, int from, int to)
    {
        var ws = new WhitespaceExpr();
        var close = new TextExpr("]"u8.ToArray());
        var separator = new SequenceExpr([ws, new TextExpr(","u8.ToArray()), ws]);
        GrammarExpr Item(int j) => j < arr.Prefix.Length ? arr.Prefix[j] : arr.Rest!;
        int start = Chain(from, new TextExpr("["u8.ToArray()), ws);
        if (arr.MinItems == 0) Lower(close, start, to);
        if (arr.MaxItems == 0) return;
        int counted = Math.Max(arr.MinItems, arr.Prefix.Length); // item positions unrolled one by one
        if (arr.MaxItems is int max) counted = max;
        int cur = NewNode();
        Lower(Item(0), start, cur); // cur: one item written
        for (int j = 1; j <= counted; j++)
        {
            if (j >= arr.MinItems) Lower(new SequenceExpr([ws, close]), cur, to);
            if (j == counted) break;
            int next = NewNode();
            Lower(new SequenceExpr([separator, Item(j)]), cur, next);
            cur = next;
        }
        if (arr.MaxItems == null)
        {
            // Beyond the counted positions: any number of further Rest items.
            int back = NewNode();
            Lower(new SequenceExpr([separator, arr.Rest!]), cur, back);
            Epsilon(back, cur);
            if (counted == 0) Lower(new SequenceExpr([ws, close]), cur, to);
        }
    }

    /// <summary>Keeps the live part: returns false when the start node cannot complete. Liveness spreads backwards from
    /// rule ends along reversed edges (a call edge counts once both its callee start and its return node are live).</summary>
    private static bool Prune(GrammarNode[] nodes, int start)
    {
        var live = new bool[nodes.Length];
        var preds = new List<int>[nodes.Length];
        var callers = new List<int>[nodes.Length]; // nodes whose call edges name this node (as start or return)
        void Link(List<int>[] lists, int to, int from) => (lists[to] ??= []).Add(from);
        for (int i = 0; i < nodes.Length; i++)
        {
            var n = nodes[i];
            foreach (int t in n.Epsilon) Link(preds, t, i);
            foreach (var e in n.Bytes) Link(preds, e.Target, i);
            foreach (var e in n.Tokens) Link(preds, e.Target, i);
            if (n.Kind != NodeKind.Plain) Link(preds, n.Next, i);
            foreach (var c in n.CallEdges)
            {
                Link(callers, c.Start, i);
                Link(callers, c.Return, i);
            }
        }
        var work = new Stack<int>();
        void MarkLive(int i)
        {
            if (live[i]) return;
            live[i] = true;
            work.Push(i);
        }
        for (int i = 0; i < nodes.Length; i++) if (nodes[i].IsRuleEnd) MarkLive(i);
        while (work.TryPop(out int x))
        {
            if (preds[x] is { } ps) foreach (int p in ps) MarkLive(p);
            if (callers[x] is { } cs)
                foreach (int c in cs)
                    if (!live[c] && nodes[c].CallEdges.Any(e => live[e.Start] && live[e.Return])) MarkLive(c);
        }
        foreach (var n in nodes)
        {
            n.Epsilon = n.Epsilon.Where(t => live[t]).ToArray();
            n.Bytes = n.Bytes.Where(e => live[e.Target]).ToArray();
            n.Tokens = n.Tokens.Where(e => live[e.Target]).ToArray();
            n.CallEdges = n.CallEdges.Where(c => live[c.Start] && live[c.Return]).ToArray();
            if (n.Kind != NodeKind.Plain && !live[n.Next]) n.Kind = NodeKind.Plain; // a dead terminal consumes nothing
        }
        return live[start];
    }

    private static void ComputeClosures(GrammarNode[] nodes)
    {
        var seen = new bool[nodes.Length];
        var stack = new Stack<int>();
        var visited = new List<int>();
        for (int i = 0; i < nodes.Length; i++)
        {
            var consuming = new List<int>();
            var calls = new List<CallEdge>();
            bool returns = false;
            stack.Push(i);
            seen[i] = true;
            visited.Add(i);
            while (stack.TryPop(out int x))
            {
                var n = nodes[x];
                if (n.IsConsuming) consuming.Add(x);
                foreach (var c in n.CallEdges) if (!calls.Contains(c)) calls.Add(c);
                returns |= n.IsRuleEnd;
                foreach (int t in n.Epsilon)
                    if (!seen[t])
                    {
                        seen[t] = true;
                        visited.Add(t);
                        stack.Push(t);
                    }
            }
            foreach (int v in visited) seen[v] = false;
            visited.Clear();
            consuming.Sort();
            nodes[i].Consuming = [.. consuming];
            nodes[i].Calls = [.. calls];
            nodes[i].Returns = returns;
        }
    }
}
