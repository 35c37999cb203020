namespace R1Sharp.Tokenization.Templates;

/// <summary>Recursive-descent parser following jinja2's grammar (jinja2/parser.py): operator precedence, filters and
/// tests binding tighter than arithmetic, conditional expressions, tuples, slices, keyword arguments.</summary>
internal sealed class JinjaParser
{
    private readonly List<JinjaToken> _tokens;
    private readonly int _maxNesting;
    private int _pos;
    private int _nesting; // blocks inside blocks, brackets, operator chains: how deep the tree being built is

    private JinjaParser(List<JinjaToken> tokens, int maxNesting)
    {
        _tokens = tokens;
        _maxNesting = maxNesting;
    }

    public static List<JinjaNode> Parse(string source, JinjaOptions options)
    {
        var p = new JinjaParser(JinjaLexer.Tokenize(source, options), options.Limits.MaxNestingDepth);
        var body = p.Subparse(null);
        if (p.Current.Kind != JinjaTokenKind.Eof) throw p.Error($"unexpected {p.Current}");
        return body;
    }

    private JinjaToken Current => _tokens[_pos];
    private JinjaToken Look => _pos + 1 < _tokens.Count ? _tokens[_pos + 1] : _tokens[^1];
    private JinjaToken Next() => _tokens[_pos < _tokens.Count - 1 ? _pos++ : _pos];

    private TemplateException Error(string message) => new($"template syntax error, line {Current.Line}: {message}");

    /// <summary>One level deeper (callers restore <see cref="_nesting"/> when they return).</summary>
    private void Deeper()
    {
        if (++_nesting > _maxNesting || !System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw Error($"nested more than {_maxNesting} levels deep (template limit)");
    }

    private bool IsOp(string op) => Current.Kind == JinjaTokenKind.Operator && Current.Value == op;
    private bool IsName(string name) => Current.Kind == JinjaTokenKind.Name && Current.Value == name;

    private bool SkipOp(string op)
    {
        if (!IsOp(op)) return false;
        _pos++;
        return true;
    }

    private bool SkipName(string name)
    {
        if (!IsName(name)) return false;
        _pos++;
        return true;
    }

    private JinjaToken ExpectOp(string op)
    {
        if (!IsOp(op)) throw Error($"expected '{op}', got {Current}");
        return Next();
    }

    private JinjaToken Expect(JinjaTokenKind kind)
    {
        if (Current.Kind != kind) throw Error($"expected {Describe(kind)}, got {Current}");
        return Next();
    }

    /// <summary>A token kind in words, for error messages.</summary>
    private static string Describe(JinjaTokenKind kind) => kind switch
    {
        JinjaTokenKind.VariableBegin => "'{{'", JinjaTokenKind.VariableEnd => "'}}'", JinjaTokenKind.BlockBegin => "'{%'",
        JinjaTokenKind.BlockEnd => "'%}'", JinjaTokenKind.Name => "a name", JinjaTokenKind.String => "a string",
        JinjaTokenKind.Integer => "an integer", JinjaTokenKind.Float => "a number", JinjaTokenKind.Operator => "an operator",
        JinjaTokenKind.Eof => "end of template", _ => "text",
    };

    private void ExpectName(string name)
    {
        if (!IsName(name)) throw Error($"expected '{name}', got {Current}");
        _pos++;
    }

    // ---- statements ----

    private List<JinjaNode> Subparse(string[]? endTokens)
    {
        var body = new List<JinjaNode>();
        while (Current.Kind != JinjaTokenKind.Eof)
        {
            var t = Current;
            switch (t.Kind)
            {
                case JinjaTokenKind.Data:
                    Next();
                    body.Add(new TextNode(t.Value, t.Line));
                    break;
                case JinjaTokenKind.VariableBegin:
                    Next();
                    body.Add(new OutputNode(ParseTuple(withCondExpr: true), t.Line));
                    Expect(JinjaTokenKind.VariableEnd);
                    break;
                case JinjaTokenKind.BlockBegin:
                    Next();
                    if (endTokens != null && Current.Kind == JinjaTokenKind.Name && endTokens.Contains(Current.Value)) return body;
                    body.Add(ParseStatement());
                    Expect(JinjaTokenKind.BlockEnd);
                    break;
                default:
                    throw Error($"unexpected {t}");
            }
        }
        if (endTokens != null) throw Error($"unexpected end of template, expected one of: {string.Join(", ", endTokens)}");
        return body;
    }

    /// <summary>Ends the current tag, parses up to one of endTokens; with dropNeedle the end tag's name is consumed.</summary>
    private List<JinjaNode> ParseStatements(string[] endTokens, bool dropNeedle = false)
    {
        SkipOp(":");
        Expect(JinjaTokenKind.BlockEnd);
        var body = Subparse(endTokens);
        if (dropNeedle) Next();
        return body;
    }

    private JinjaNode ParseStatement()
    {
        int nesting = _nesting;
        Deeper();
        try { return ParseTag(); }
        finally { _nesting = nesting; }
    }

    private JinjaNode ParseTag()
    {
        var t = Current;
        if (t.Kind != JinjaTokenKind.Name) throw Error("tag name expected");
        int line = t.Line;
        switch (t.Value)
        {
            case "if": Next(); return ParseIf(line);
            case "for": Next(); return ParseFor(line);
            case "set": Next(); return ParseSet(line);
            case "macro": Next(); return ParseMacro(line);
            case "call": Next(); return ParseCallBlock(line);
            case "filter":
            {
                Next();
                var filter = ParseFilter(new PlaceholderExpr(line), startInline: true);
                return new FilterBlockNode(filter, ParseStatements(["endfilter"], dropNeedle: true), line);
            }
            case "break": Next(); return new BreakNode(line);
            case "continue": Next(); return new ContinueNode(line);
            case "do": Next(); return new DoNode(ParseTuple(withCondExpr: true), line);
            case "generation": Next(); return new ScopeNode(ParseStatements(["endgeneration"], dropNeedle: true), line);
            default: throw Error($"unsupported tag '{t.Value}'");
        }
    }

    private IfNode ParseIf(int line)
    {
        var branches = new List<(JinjaExpr, List<JinjaNode>)>();
        List<JinjaNode>? elseBody = null;
        var test = ParseTuple(withCondExpr: false);
        while (true)
        {
            var body = ParseStatements(["elif", "else", "endif"]);
            branches.Add((test, body));
            var tok = Next();
            if (tok.Value == "elif") { test = ParseTuple(withCondExpr: false); continue; }
            if (tok.Value == "else") elseBody = ParseStatements(["endif"], dropNeedle: true);
            break;
        }
        return new IfNode(branches, elseBody, line);
    }

    private ForNode ParseFor(int line)
    {
        var target = ParseAssignTarget(withNamespace: false, extraEnd: "in");
        ExpectName("in");
        var iter = ParseTuple(withCondExpr: false, extraEnd: "recursive");
        JinjaExpr? filter = null;
        if (SkipName("if")) filter = ParseExpression(withCondExpr: true);
        bool recursive = SkipName("recursive");
        var body = ParseStatements(["endfor", "else"]);
        List<JinjaNode>? elseBody = null;
        if (Next().Value == "else") elseBody = ParseStatements(["endfor"], dropNeedle: true);
        return new ForNode(target, iter, filter, body, elseBody, recursive, line);
    }

    private JinjaNode ParseSet(int line)
    {
        var target = ParseAssignTarget(withNamespace: true);
        if (SkipOp("=")) return new SetNode(target, ParseTuple(withCondExpr: true), line);
        JinjaExpr? filter = IsOp("|") ? ParseFilter(new PlaceholderExpr(line)) : null;
        var body = ParseStatements(["endset"], dropNeedle: true);
        return new SetBlockNode(target, body, filter, line);
    }

    private MacroNode ParseMacro(int line)
    {
        string name = Expect(JinjaTokenKind.Name).Value;
        var (pars, defaults) = ParseSignature();
        return new MacroNode(name, pars, defaults, ParseStatements(["endmacro"], dropNeedle: true), line);
    }

    private (List<string>, List<JinjaExpr?>) ParseSignature()
    {
        var pars = new List<string>();
        var defaults = new List<JinjaExpr?>();
        ExpectOp("(");
        while (!IsOp(")"))
        {
            if (pars.Count > 0) ExpectOp(",");
            if (IsOp(")")) break;
            pars.Add(Expect(JinjaTokenKind.Name).Value);
            if (SkipOp("=")) defaults.Add(ParseExpression(withCondExpr: true));
            else if (defaults.Any(d => d != null)) throw Error("non-default argument follows default argument");
            else defaults.Add(null);
        }
        ExpectOp(")");
        return (pars, defaults);
    }

    private CallBlockNode ParseCallBlock(int line)
    {
        var pars = new List<string>();
        if (IsOp("(")) pars = ParseSignature().Item1;
        var call = ParseExpression(withCondExpr: true);
        if (call is not CallExpr) throw Error("expected call");
        return new CallBlockNode(call, pars, ParseStatements(["endcall"], dropNeedle: true), line);
    }

    private JinjaExpr ParseAssignTarget(bool withNamespace, string? extraEnd = null)
    {
        int line = Current.Line;
        if (withNamespace && Current.Kind == JinjaTokenKind.Name && Look.Kind == JinjaTokenKind.Operator && Look.Value == ".")
        {
            string name = Next().Value;
            Next();
            string attr = Expect(JinjaTokenKind.Name).Value;
            return new NamespaceRefExpr(name, attr, line);
        }
        var target = ParseTuple(simplified: true, extraEnd: extraEnd);
        CheckTarget(target);
        return target;
    }

    private void CheckTarget(JinjaExpr e)
    {
        if (e is NameExpr) return;
        if (e is TupleExpr t) { foreach (var i in t.Items) CheckTarget(i); return; }
        throw Error("can't assign to this expression");
    }

    // ---- expressions ----

    private bool IsTupleEnd(string? extraEnd) =>
        Current.Kind is JinjaTokenKind.VariableEnd or JinjaTokenKind.BlockEnd or JinjaTokenKind.Eof
        || IsOp(")") || (extraEnd != null && IsName(extraEnd));

    private JinjaExpr ParseTuple(bool simplified = false, bool withCondExpr = true, string? extraEnd = null, bool explicitParens = false)
    {
        int line = Current.Line;
        var args = new List<JinjaExpr>();
        bool isTuple = false;
        while (true)
        {
            if (args.Count > 0) ExpectOp(",");
            if (IsTupleEnd(extraEnd)) break;
            args.Add(simplified ? ParsePrimary() : ParseExpression(withCondExpr));
            if (IsOp(",")) isTuple = true;
            else break;
        }
        if (!isTuple)
        {
            if (args.Count > 0) return args[0];
            if (!explicitParens) throw Error($"expected an expression, got {Current}");
        }
        return new TupleExpr(args, line);
    }

    private JinjaExpr ParseExpression(bool withCondExpr) => withCondExpr ? ParseCondExpr() : ParseOr();

    private JinjaExpr ParseCondExpr()
    {
        int line = Current.Line, nesting = _nesting;
        Deeper();
        try
        {
            var expr1 = ParseOr();
            while (SkipName("if"))
            {
                Deeper();
                var expr2 = ParseOr();
                JinjaExpr? expr3 = SkipName("else") ? ParseCondExpr() : null;
                expr1 = new CondExpr(expr2, expr1, expr3, line);
            }
            return expr1;
        }
        finally { _nesting = nesting; }
    }

    private JinjaExpr ParseOr()
    {
        int line = Current.Line, nesting = _nesting;
        try
        {
            var left = ParseAnd();
            while (SkipName("or")) { Deeper(); left = new BinaryExpr("or", left, ParseAnd(), line); }
            return left;
        }
        finally { _nesting = nesting; }
    }

    private JinjaExpr ParseAnd()
    {
        int line = Current.Line, nesting = _nesting;
        try
        {
            var left = ParseNot();
            while (SkipName("and")) { Deeper(); left = new BinaryExpr("and", left, ParseNot(), line); }
            return left;
        }
        finally { _nesting = nesting; }
    }

    private JinjaExpr ParseNot()
    {
        int line = Current.Line, nesting = _nesting;
        try
        {
            if (!SkipName("not")) return ParseCompare();
            Deeper();
            return new UnaryExpr("not", ParseNot(), line);
        }
        finally { _nesting = nesting; }
    }

    private JinjaExpr ParseCompare()
    {
        int line = Current.Line;
        var expr = ParseMath1();
        var ops = new List<(string, JinjaExpr)>();
        while (true)
        {
            if (Current.Kind == JinjaTokenKind.Operator && Current.Value is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                string op = Next().Value;
                ops.Add((op, ParseMath1()));
            }
            else if (SkipName("in")) ops.Add(("in", ParseMath1()));
            else if (IsName("not") && Look.Kind == JinjaTokenKind.Name && Look.Value == "in")
            {
                _pos += 2;
                ops.Add(("notin", ParseMath1()));
            }
            else break;
        }
        return ops.Count == 0 ? expr : new CompareExpr(expr, ops, line);
    }

    private JinjaExpr ParseMath1()
    {
        int line = Current.Line, nesting = _nesting;
        try
        {
            var left = ParseConcat();
            while (IsOp("+") || IsOp("-"))
            {
                Deeper();
                string op = Next().Value;
                left = new BinaryExpr(op, left, ParseConcat(), line);
            }
            return left;
        }
        finally { _nesting = nesting; }
    }

    private JinjaExpr ParseConcat()
    {
        int line = Current.Line;
        var args = new List<JinjaExpr> { ParseMath2() };
        while (SkipOp("~")) args.Add(ParseMath2());
        return args.Count == 1 ? args[0] : new ConcatExpr(args, line);
    }

    private JinjaExpr ParseMath2()
    {
        int line = Current.Line, nesting = _nesting;
        try
        {
            var left = ParsePow();
            while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%"))
            {
                Deeper();
                string op = Next().Value;
                left = new BinaryExpr(op, left, ParsePow(), line);
            }
            return left;
        }
        finally { _nesting = nesting; }
    }

    private JinjaExpr ParsePow()
    {
        int line = Current.Line, nesting = _nesting;
        try
        {
            var left = ParseUnary();
            while (SkipOp("**")) { Deeper(); left = new BinaryExpr("**", left, ParseUnary(), line); }
            return left;
        }
        finally { _nesting = nesting; }
    }

    private JinjaExpr ParseUnary(bool withFilter = true)
    {
        int line = Current.Line, nesting = _nesting;
        Deeper();
        try
        {
            JinjaExpr node;
            if (SkipOp("-")) node = new UnaryExpr("-", ParseUnary(false), line);
            else if (SkipOp("+")) node = new UnaryExpr("+", ParseUnary(false), line);
            else node = ParsePrimary();
            node = ParsePostfix(node);
            if (withFilter) node = ParseFilterExpr(node);
            return node;
        }
        finally { _nesting = nesting; }
    }

    private JinjaExpr ParsePrimary()
    {
        var t = Current;
        int line = t.Line;
        switch (t.Kind)
        {
            case JinjaTokenKind.Name:
                Next();
                return t.Value switch
                {
                    "true" or "True" => new ConstExpr(true, line),
                    "false" or "False" => new ConstExpr(false, line),
                    "none" or "None" => new ConstExpr(null, line),
                    _ => new NameExpr(t.Value, line),
                };
            case JinjaTokenKind.String:
            {
                Next();
                string s = t.Value;
                while (Current.Kind == JinjaTokenKind.String) s += Next().Value;
                return new ConstExpr(s, line);
            }
            case JinjaTokenKind.Integer:
            case JinjaTokenKind.Float:
                Next();
                return new ConstExpr(t.Number, line);
            case JinjaTokenKind.Operator when t.Value == "(":
            {
                Next();
                var node = ParseTuple(explicitParens: true);
                ExpectOp(")");
                return node;
            }
            case JinjaTokenKind.Operator when t.Value == "[":
            {
                Next();
                var items = new List<JinjaExpr>();
                while (!IsOp("]"))
                {
                    if (items.Count > 0) ExpectOp(",");
                    if (IsOp("]")) break;
                    items.Add(ParseExpression(true));
                }
                ExpectOp("]");
                return new ListExpr(items, line);
            }
            case JinjaTokenKind.Operator when t.Value == "{":
            {
                Next();
                var items = new List<(JinjaExpr, JinjaExpr)>();
                while (!IsOp("}"))
                {
                    if (items.Count > 0) ExpectOp(",");
                    if (IsOp("}")) break;
                    var key = ParseExpression(true);
                    ExpectOp(":");
                    items.Add((key, ParseExpression(true)));
                }
                ExpectOp("}");
                return new DictExpr(items, line);
            }
            default:
                throw Error($"unexpected {t}");
        }
    }

    // Postfix, filter and test chains deepen the tree by one level per link (the caller restores _nesting).
    private JinjaExpr ParsePostfix(JinjaExpr node)
    {
        while (true)
        {
            if (IsOp(".") || IsOp("[")) { Deeper(); node = ParseSubscript(node); }
            else if (IsOp("(")) { Deeper(); node = ParseCall(node); }
            else return node;
        }
    }

    private JinjaExpr ParseFilterExpr(JinjaExpr node)
    {
        while (true)
        {
            if (IsOp("|")) node = ParseFilter(node);
            else if (IsName("is")) { Deeper(); node = ParseTest(node); }
            else if (IsOp("(")) { Deeper(); node = ParseCall(node); }
            else return node;
        }
    }

    private JinjaExpr ParseSubscript(JinjaExpr node)
    {
        var t = Next();
        int line = t.Line;
        if (t.Value == ".")
        {
            var attr = Next();
            if (attr.Kind == JinjaTokenKind.Name) return new GetAttrExpr(node, attr.Value, line);
            if (attr.Kind == JinjaTokenKind.Integer) return new GetItemExpr(node, new ConstExpr(attr.Number, line), line);
            throw Error("expected name or number after '.'");
        }
        var args = new List<JinjaExpr>();
        while (!IsOp("]"))
        {
            if (args.Count > 0) ExpectOp(",");
            args.Add(ParseSubscribed());
        }
        ExpectOp("]");
        return new GetItemExpr(node, args.Count == 1 ? args[0] : new TupleExpr(args, line), line);
    }

    private JinjaExpr ParseSubscribed()
    {
        int line = Current.Line;
        JinjaExpr? start = null;
        if (!SkipOp(":"))
        {
            var e = ParseExpression(true);
            if (!IsOp(":")) return e;
            Next();
            start = e;
        }
        JinjaExpr? stop = null, step = null;
        if (!IsOp(":") && !IsOp("]") && !IsOp(",")) stop = ParseExpression(true);
        if (SkipOp(":") && !IsOp("]") && !IsOp(",")) step = ParseExpression(true);
        return new SliceExpr(start, stop, step, line);
    }

    private (List<JinjaExpr>, List<(string, JinjaExpr)>) ParseCallArgs()
    {
        ExpectOp("(");
        var args = new List<JinjaExpr>();
        var kwargs = new List<(string, JinjaExpr)>();
        bool requireComma = false;
        while (!IsOp(")"))
        {
            if (requireComma)
            {
                ExpectOp(",");
                if (IsOp(")")) break;
            }
            if (Current.Kind == JinjaTokenKind.Name && Look.Kind == JinjaTokenKind.Operator && Look.Value == "=")
            {
                string key = Next().Value;
                Next();
                kwargs.Add((key, ParseExpression(true)));
            }
            else
            {
                if (kwargs.Count > 0) throw Error("positional argument follows keyword argument");
                args.Add(ParseExpression(true));
            }
            requireComma = true;
        }
        ExpectOp(")");
        return (args, kwargs);
    }

    private JinjaExpr ParseCall(JinjaExpr node)
    {
        int line = Current.Line;
        var (args, kwargs) = ParseCallArgs();
        return new CallExpr(node, args, kwargs, line);
    }

    private string ParseDottedName()
    {
        string name = Expect(JinjaTokenKind.Name).Value;
        while (IsOp(".")) { Next(); name += "." + Expect(JinjaTokenKind.Name).Value; }
        return name;
    }

    private JinjaExpr ParseFilter(JinjaExpr node, bool startInline = false)
    {
        while (IsOp("|") || startInline)
        {
            if (!startInline) Next();
            startInline = false;
            Deeper();
            int line = Current.Line;
            string name = ParseDottedName();
            var (args, kwargs) = IsOp("(") ? ParseCallArgs() : ([], []);
            node = new FilterExpr(node, name, args, kwargs, line);
        }
        return node;
    }

    private JinjaExpr ParseTest(JinjaExpr node)
    {
        int line = Next().Line; // 'is'
        bool negated = SkipName("not");
        string name = ParseDottedName();
        var args = new List<JinjaExpr>();
        if (IsOp("("))
        {
            var (a, kw) = ParseCallArgs();
            if (kw.Count > 0) throw Error("keyword arguments to tests are not supported");
            args = a;
        }
        else if ((Current.Kind is JinjaTokenKind.Name or JinjaTokenKind.String or JinjaTokenKind.Integer or JinjaTokenKind.Float
                  || IsOp("[") || IsOp("{")) && !IsName("else") && !IsName("or") && !IsName("and"))
        {
            if (IsName("is")) throw Error("You cannot chain multiple tests with is");
            args.Add(ParsePostfix(ParsePrimary()));
        }
        return new TestExpr(node, name, args, negated, line);
    }
}
