using System.Text;

namespace R1Sharp.Tokenization.Templates;

/// <summary>Variables of one scope. Like jinja2, a for loop body and a macro body get their own scope, so
/// <c>{% set %}</c> inside them does not leak out (that is what <c>namespace()</c> is for); if blocks do not.</summary>
internal sealed class JinjaScope(JinjaScope? parent)
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);
    public JinjaScope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s != null; s = s.Parent)
            if (s._vars.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public void Set(string name, object? value) => _vars[name] = value;
}

/// <summary>Tree-walking evaluator of a parsed template.</summary>
internal sealed class JinjaRenderer
{
    private enum Flow { Normal, Break, Continue }

    private readonly JinjaScope _root;
    private readonly TemplateBudget _budget;

    internal JinjaRenderer(JinjaScope root, TemplateLimits limits)
    {
        _root = root;
        _budget = new TemplateBudget(limits);
    }

    public string Render(List<JinjaNode> body)
    {
        using var scope = _budget.Enter();
        var sb = new StringBuilder();
        Exec(body, _root, sb);
        return sb.ToString();
    }

    /// <summary>Appends rendered text, keeping every output (the result, a macro's, a set block's) within the string limit.</summary>
    private void Emit(StringBuilder output, string text)
    {
        if ((long)output.Length + text.Length > _budget.Limits.MaxStringLength)
            throw new TemplateException($"template error: the output exceeds the limit of {_budget.Limits.MaxStringLength:N0} characters");
        output.Append(text);
    }

    /// <summary>Counts a string or collection a builtin built against the render's budget.</summary>
    private object? Built(object? value)
    {
        switch (value)
        {
            case string s: _budget.String(s.Length); break;
            case System.Collections.ICollection c: _budget.Collection(c.Count); break;
        }
        return value;
    }

    private Flow Exec(List<JinjaNode> nodes, JinjaScope scope, StringBuilder output)
    {
        foreach (var node in nodes)
        {
            var flow = Exec(node, scope, output);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow Exec(JinjaNode node, JinjaScope scope, StringBuilder output)
    {
        _budget.EnterNode();
        try { return ExecNode(node, scope, output); }
        finally { _budget.ExitNode(); }
    }

    private Flow ExecNode(JinjaNode node, JinjaScope scope, StringBuilder output)
    {
        switch (node)
        {
            case TextNode t:
                Emit(output, t.Text);
                return Flow.Normal;
            case OutputNode o:
                Emit(output, Py.Str(Eval(o.Expr, scope)));
                return Flow.Normal;
            case IfNode n:
                foreach (var (test, body) in n.Branches)
                    if (Py.Truthy(Eval(test, scope))) return Exec(body, scope, output);
                return n.Else != null ? Exec(n.Else, scope, output) : Flow.Normal;
            case ForNode f:
                ExecFor(f, scope, output, 0);
                return Flow.Normal;
            case SetNode s:
                Assign(s.Target, Eval(s.Value, scope), scope);
                return Flow.Normal;
            case SetBlockNode sb:
            {
                var inner = new StringBuilder();
                Exec(sb.Body, scope, inner);
                object? value = Built(inner.ToString());
                if (sb.Filter != null) value = EvalWithPlaceholder(sb.Filter, scope, value);
                Assign(sb.Target, value, scope);
                return Flow.Normal;
            }
            case FilterBlockNode fb:
            {
                var inner = new StringBuilder();
                Exec(fb.Body, scope, inner);
                Emit(output, Py.Str(EvalWithPlaceholder(fb.Filter, scope, inner.ToString())));
                return Flow.Normal;
            }
            case MacroNode m:
                scope.Set(m.Name, new JinjaMacro(m, scope));
                return Flow.Normal;
            case CallBlockNode cb:
            {
                var call = (CallExpr)cb.Call;
                var caller = new JinjaMacro(new MacroNode("caller", cb.Params, cb.Params.Select(_ => (JinjaExpr?)null).ToList(), cb.Body, cb.Line), scope);
                var fn = Eval(call.Fn, scope);
                var args = call.Args.Select(a => Eval(a, scope)).ToList();
                var kwargs = call.Kwargs.Select(k => new KeyValuePair<string, object?>(k.Name, Eval(k.Value, scope))).ToList();
                kwargs.Add(new("caller", caller));
                Emit(output, Py.Str(CallValue(fn, args, kwargs)));
                return Flow.Normal;
            }
            case BreakNode: return Flow.Break;
            case ContinueNode: return Flow.Continue;
            case DoNode d:
                Eval(d.Expr, scope);
                return Flow.Normal;
            case ScopeNode sn:
                return Exec(sn.Body, scope, output);
            default:
                throw new TemplateException($"line {node.Line}: unsupported node {node.GetType().Name}");
        }
    }

    private object? EvalWithPlaceholder(JinjaExpr filter, JinjaScope scope, object? body)
    {
        var inner = new JinjaScope(scope);
        inner.Set("\0body", body);
        return Eval(filter, inner);
    }

    private void ExecFor(ForNode f, JinjaScope scope, StringBuilder output, int depth)
    {
        var iterable = Eval(f.Iter, scope);
        RunLoop(f, iterable, scope, output, depth);
    }

    private void RunLoop(ForNode f, object? iterable, JinjaScope scope, StringBuilder output, int depth)
    {
        var source = Py.Iterate(iterable);
        var loopScope = new JinjaScope(scope);
        List<object?> items;
        if (f.Filter == null) items = source as List<object?> ?? source.ToList();
        else
        {
            items = [];
            foreach (var item in source)
            {
                _budget.LoopIteration();
                Assign(f.Target, item, loopScope);
                if (Py.Truthy(Eval(f.Filter, loopScope))) items.Add(item);
            }
        }
        if (items.Count == 0)
        {
            if (f.Else != null) Exec(f.Else, scope, output);
            return;
        }
        var loop = new JinjaLoop { Items = items, Depth0 = depth };
        loopScope.Set("loop", f.Recursive ? new JinjaRecursiveLoop(loop, new JinjaRecursion(this, f, scope, depth)) : loop);
        for (int i = 0; i < items.Count; i++)
        {
            _budget.LoopIteration();
            loop.Index0 = i;
            Assign(f.Target, items[i], loopScope);
            if (Exec(f.Body, loopScope, output) == Flow.Break) break;
        }
    }

    private sealed class JinjaRecursion(JinjaRenderer renderer, ForNode node, JinjaScope scope, int depth) : IJinjaCallable
    {
        public object? Call(JinjaRenderer r, List<object?> args, List<KeyValuePair<string, object?>> kwargs)
        {
            if (args.Count != 1) throw new TemplateException("loop() takes exactly one argument");
            var sb = new StringBuilder();
            renderer.RunLoop(node, args[0], scope, sb, depth + 1);
            return sb.ToString();
        }
    }

    /// <summary>loop in a recursive for: callable as loop(children), with the usual attributes.</summary>
    internal sealed class JinjaRecursiveLoop(JinjaLoop loop, IJinjaCallable recurse) : IJinjaCallable
    {
        public JinjaLoop Loop { get; } = loop;
        public object? Call(JinjaRenderer r, List<object?> args, List<KeyValuePair<string, object?>> kwargs) => recurse.Call(r, args, kwargs);
    }

    private void Assign(JinjaExpr target, object? value, JinjaScope scope)
    {
        switch (target)
        {
            case NameExpr n:
                scope.Set(n.Name, value);
                break;
            case TupleExpr t:
            {
                var items = Py.Iterate(value);
                if (items.Count != t.Items.Count)
                    throw new TemplateException($"line {t.Line}: cannot unpack {items.Count} values into {t.Items.Count} names");
                for (int i = 0; i < items.Count; i++) Assign(t.Items[i], items[i], scope);
                break;
            }
            case NamespaceRefExpr r:
            {
                if (!scope.TryGet(r.Name, out var ns) || ns is not JinjaNamespace nsObj)
                    throw new TemplateException($"line {r.Line}: cannot assign attribute on non-namespace object");
                nsObj.Attributes[r.Attr] = value;
                break;
            }
            default:
                throw new TemplateException($"line {target.Line}: cannot assign to {target.GetType().Name}");
        }
    }

    // ---- expressions ----

    public object? Eval(JinjaExpr expr, JinjaScope scope)
    {
        _budget.EnterNode();
        try { return EvalNode(expr, scope); }
        finally { _budget.ExitNode(); }
    }

    private object? EvalNode(JinjaExpr expr, JinjaScope scope)
    {
        switch (expr)
        {
            case ConstExpr c: return c.Value;
            case NameExpr n: return scope.TryGet(n.Name, out var v) ? v : new JinjaUndefined(n.Name);
            case PlaceholderExpr: return scope.TryGet("\0body", out var b) ? b : "";
            case GetAttrExpr g: return GetAttr(Eval(g.Obj, scope), g.Attr);
            case GetItemExpr gi:
            {
                var obj = Eval(gi.Obj, scope);
                if (gi.Key is SliceExpr sl)
                    return Built(Slice(obj, sl.Start == null ? null : Eval(sl.Start, scope), sl.Stop == null ? null : Eval(sl.Stop, scope),
                        sl.Step == null ? null : Eval(sl.Step, scope)));
                return GetItem(obj, Eval(gi.Key, scope));
            }
            case SliceExpr: throw new TemplateException($"line {expr.Line}: slice outside of subscript");
            case CallExpr call:
            {
                var fn = Eval(call.Fn, scope);
                var args = call.Args.Select(a => Eval(a, scope)).ToList();
                var kwargs = call.Kwargs.Select(k => new KeyValuePair<string, object?>(k.Name, Eval(k.Value, scope))).ToList();
                return Built(CallValue(fn, args, kwargs));
            }
            case FilterExpr f:
            {
                var value = Eval(f.Value, scope);
                var args = f.Args.Select(a => Eval(a, scope)).ToList();
                var kwargs = f.Kwargs.Select(k => new KeyValuePair<string, object?>(k.Name, Eval(k.Value, scope))).ToList();
                var result = JinjaFilters.Apply(this, f.Name, value, new JinjaArgs(args, kwargs));
                return ReferenceEquals(result, value) ? result : Built(result);
            }
            case TestExpr t:
            {
                var value = Eval(t.Value, scope);
                var args = t.Args.Select(a => Eval(a, scope)).ToList();
                bool r = JinjaTests.Apply(t.Name, value, args);
                return t.Negated ? !r : r;
            }
            case BinaryExpr bin:
            {
                if (bin.Op == "and")
                {
                    var l = Eval(bin.Left, scope);
                    return Py.Truthy(l) ? Eval(bin.Right, scope) : l;
                }
                if (bin.Op == "or")
                {
                    var l = Eval(bin.Left, scope);
                    return Py.Truthy(l) ? l : Eval(bin.Right, scope);
                }
                return Py.Binary(bin.Op, Eval(bin.Left, scope), Eval(bin.Right, scope));
            }
            case UnaryExpr u:
            {
                var val = Eval(u.Operand, scope);
                return u.Op switch
                {
                    "not" => !Py.Truthy(val),
                    "-" => val switch
                    {
                        long l => (object)(-l),
                        double d => (object)(-d),
                        bool bb => (object)(bb ? -1L : 0L),
                        _ => throw new TemplateException($"bad operand type for unary -: '{Py.TypeName(val)}'"),
                    },
                    _ => val is long or double ? val : val is bool bb2 ? (bb2 ? 1L : 0L)
                        : throw new TemplateException($"bad operand type for unary +: '{Py.TypeName(val)}'"),
                };
            }
            case CompareExpr cmp:
            {
                var left = Eval(cmp.First, scope);
                foreach (var (op, e) in cmp.Rest)
                {
                    var right = Eval(e, scope);
                    bool ok = op switch
                    {
                        "==" => Py.AreEqual(left, right),
                        "!=" => !Py.AreEqual(left, right),
                        "<" => Py.Compare(left, right, op) < 0,
                        "<=" => Py.Compare(left, right, op) <= 0,
                        ">" => Py.Compare(left, right, op) > 0,
                        ">=" => Py.Compare(left, right, op) >= 0,
                        "in" => Py.Contains(right, left),
                        "notin" => !Py.Contains(right, left),
                        _ => throw new TemplateException("unknown comparison " + op),
                    };
                    if (!ok) return false;
                    left = right;
                }
                return true;
            }
            case CondExpr ce:
                return Py.Truthy(Eval(ce.Test, scope)) ? Eval(ce.Then, scope)
                    : ce.Else != null ? Eval(ce.Else, scope) : new JinjaUndefined("the inline if-expression evaluated to false and no else section was defined");
            case ListExpr le: return Built(le.Items.Select(i => Eval(i, scope)).ToList());
            case TupleExpr te: return Built(te.Items.Select(i => Eval(i, scope)).ToArray());
            case DictExpr de:
            {
                _budget.Collection(de.Items.Count);
                var d = new JinjaDict();
                foreach (var (k, val) in de.Items) d[Eval(k, scope) ?? throw new TemplateException("None as a dict key is not supported")] = Eval(val, scope);
                return d;
            }
            case ConcatExpr cc:
            {
                var parts = cc.Parts.Select(p => Py.Str(Eval(p, scope))).ToList();
                _budget.String(parts.Sum(p => (long)p.Length));
                return string.Concat(parts);
            }
            default:
                throw new TemplateException($"line {expr.Line}: unsupported expression {expr.GetType().Name}");
        }
    }

    public static object? GetAttr(object? obj, string name)
    {
        switch (obj)
        {
            case JinjaUndefined: return new JinjaUndefined(name);
            case JinjaDict d:
                if (JinjaMethods.Has(d, name)) return new JinjaBoundMethod(d, name);
                return d.TryGetValue(name, out var v) ? v : new JinjaUndefined(name);
            case JinjaNamespace ns: return ns.Attributes.TryGetValue(name, out var nv) ? nv : new JinjaUndefined(name);
            case JinjaLoop loop: return loop.Get(name);
            case JinjaRecursiveLoop rl: return rl.Loop.Get(name);
            case string or List<object?> or object?[] when JinjaMethods.Has(obj, name): return new JinjaBoundMethod(obj, name);
            default: return new JinjaUndefined(name);
        }
    }

    /// <summary>jinja2's getitem: obj[key], falling back to an attribute; missing -> Undefined.</summary>
    public static object? GetItem(object? obj, object? key)
    {
        switch (obj)
        {
            case JinjaUndefined: return new JinjaUndefined(Py.Str(key));
            case JinjaDict d:
                if (key != null && d.TryGetValue(key, out var v)) return v;
                break;
            case IList<object?> list when key is long or bool:
            {
                long i = key is bool kb ? (kb ? 1 : 0) : (long)key;
                if (i < 0) i += list.Count;
                return i >= 0 && i < list.Count ? list[(int)i] : new JinjaUndefined($"index {key}");
            }
            case string s when key is long idx:
            {
                if (Py.IsSimple(s))
                {
                    long at = idx < 0 ? idx + s.Length : idx;
                    return at >= 0 && at < s.Length ? s[(int)at].ToString() : new JinjaUndefined($"index {key}");
                }
                var chars = Py.Chars(s);
                long i = idx < 0 ? idx + chars.Count : idx;
                return i >= 0 && i < chars.Count ? chars[(int)i] : new JinjaUndefined($"index {key}");
            }
        }
        if (key is string name) return GetAttr(obj, name);
        return new JinjaUndefined(Py.Str(key));
    }

    public static object? Slice(object? obj, object? start, object? stop, object? step)
    {
        if (obj is string text && Py.IsSimple(text) && (step is null || ToIndex(step) == 1))
        {
            long len = text.Length;
            long from = start is null ? 0 : Clamp(ToIndex(start), len, 0, len), to = stop is null ? len : Clamp(ToIndex(stop), len, 0, len);
            return to > from ? text.Substring((int)from, (int)(to - from)) : "";
        }
        IReadOnlyList<object?> seq = obj switch
        {
            string s => Py.Chars(s).Cast<object?>().ToList(),
            List<object?> l => l,
            object?[] t => t,
            JinjaUndefined => [],
            _ => throw new TemplateException($"'{Py.TypeName(obj)}' object is not subscriptable"),
        };
        long n = seq.Count;
        long st = step is null ? 1 : ToIndex(step);
        if (st == 0) throw new TemplateException("slice step cannot be zero");
        long lo, hi;
        if (st > 0)
        {
            lo = start is null ? 0 : Clamp(ToIndex(start), n, 0, n);
            hi = stop is null ? n : Clamp(ToIndex(stop), n, 0, n);
        }
        else
        {
            lo = start is null ? n - 1 : Clamp(ToIndex(start), n, -1, n - 1);
            hi = stop is null ? -1 : Clamp(ToIndex(stop), n, -1, n - 1);
        }
        var result = new List<object?>();
        if (st > 0) for (long i = lo; i < hi; i += st) result.Add(seq[(int)i]);
        else for (long i = lo; i > hi; i += st) result.Add(seq[(int)i]);
        return obj switch
        {
            string => string.Concat(result.Cast<string>()),
            object?[] => result.ToArray(),
            _ => result,
        };
    }

    private static long ToIndex(object v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new TemplateException("slice indices must be integers or None"),
    };

    private static long Clamp(long i, long n, long min, long max)
    {
        if (i < 0) i += n;
        return Math.Min(Math.Max(i, min), max);
    }

    public object? CallValue(object? fn, List<object?> args, List<KeyValuePair<string, object?>> kwargs)
    {
        _budget.EnterCall();
        try
        {
            return fn switch
            {
                IJinjaCallable c => c.Call(this, args, kwargs),
                JinjaBoundMethod m => JinjaMethods.Call(m, new JinjaArgs(args, kwargs)),
                JinjaUndefined u => throw new TemplateException($"'{u.Name}' is undefined"),
                _ => throw new TemplateException($"'{Py.TypeName(fn)}' object is not callable"),
            };
        }
        finally { _budget.ExitCall(); }
    }

    /// <summary>A {% macro %}: called with positional and keyword arguments, renders its body in a fresh scope.</summary>
    private sealed class JinjaMacro(MacroNode node, JinjaScope definingScope) : IJinjaCallable
    {
        public object? Call(JinjaRenderer r, List<object?> args, List<KeyValuePair<string, object?>> kwargs)
        {
            var scope = new JinjaScope(definingScope);
            if (args.Count > node.Params.Count) throw new TemplateException($"macro '{node.Name}' takes not more than {node.Params.Count} argument(s)");
            for (int i = 0; i < node.Params.Count; i++)
            {
                string p = node.Params[i];
                object? value;
                int kw = kwargs.FindIndex(k => k.Key == p);
                if (i < args.Count) value = args[i];
                else if (kw >= 0) value = kwargs[kw].Value;
                else if (node.Defaults[i] is { } def) value = r.Eval(def, scope);
                else value = new JinjaUndefined(p);
                scope.Set(p, value);
            }
            foreach (var kv in kwargs)
                if (kv.Key == "caller") scope.Set("caller", kv.Value);
                else if (!node.Params.Contains(kv.Key)) throw new TemplateException($"macro '{node.Name}' takes no keyword argument '{kv.Key}'");
            var sb = new StringBuilder();
            r.Exec(node.Body, scope, sb);
            return sb.ToString();
        }
    }
}
