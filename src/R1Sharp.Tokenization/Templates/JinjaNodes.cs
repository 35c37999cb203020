namespace R1Sharp.Tokenization.Templates;

// Syntax tree of a parsed template.

internal abstract record JinjaNode(int Line);

// ---- statements ----
internal sealed record TextNode(string Text, int Line) : JinjaNode(Line);
internal sealed record OutputNode(JinjaExpr Expr, int Line) : JinjaNode(Line);
internal sealed record IfNode(List<(JinjaExpr Test, List<JinjaNode> Body)> Branches, List<JinjaNode>? Else, int Line) : JinjaNode(Line);
internal sealed record ForNode(JinjaExpr Target, JinjaExpr Iter, JinjaExpr? Filter, List<JinjaNode> Body, List<JinjaNode>? Else, bool Recursive, int Line) : JinjaNode(Line);
internal sealed record SetNode(JinjaExpr Target, JinjaExpr Value, int Line) : JinjaNode(Line);
/// <summary>{% set x %}body{% endset %}, optionally {% set x | filter %}: Filter is a filter chain applied to a PlaceholderExpr standing for the body.</summary>
internal sealed record SetBlockNode(JinjaExpr Target, List<JinjaNode> Body, JinjaExpr? Filter, int Line) : JinjaNode(Line);
internal sealed record MacroNode(string Name, List<string> Params, List<JinjaExpr?> Defaults, List<JinjaNode> Body, int Line) : JinjaNode(Line);
internal sealed record CallBlockNode(JinjaExpr Call, List<string> Params, List<JinjaNode> Body, int Line) : JinjaNode(Line);
internal sealed record FilterBlockNode(JinjaExpr Filter, List<JinjaNode> Body, int Line) : JinjaNode(Line);
internal sealed record BreakNode(int Line) : JinjaNode(Line);
internal sealed record ContinueNode(int Line) : JinjaNode(Line);
internal sealed record DoNode(JinjaExpr Expr, int Line) : JinjaNode(Line);
/// <summary>transformers' {% generation %} ... {% endgeneration %} (assistant-token tracking): renders its body.</summary>
internal sealed record ScopeNode(List<JinjaNode> Body, int Line) : JinjaNode(Line);

// ---- expressions ----
internal abstract record JinjaExpr(int Line);
internal sealed record ConstExpr(object? Value, int Line) : JinjaExpr(Line);
internal sealed record NameExpr(string Name, int Line) : JinjaExpr(Line);
internal sealed record GetAttrExpr(JinjaExpr Obj, string Attr, int Line) : JinjaExpr(Line);
internal sealed record GetItemExpr(JinjaExpr Obj, JinjaExpr Key, int Line) : JinjaExpr(Line);
internal sealed record SliceExpr(JinjaExpr? Start, JinjaExpr? Stop, JinjaExpr? Step, int Line) : JinjaExpr(Line);
internal sealed record CallExpr(JinjaExpr Fn, List<JinjaExpr> Args, List<(string Name, JinjaExpr Value)> Kwargs, int Line) : JinjaExpr(Line);
internal sealed record FilterExpr(JinjaExpr Value, string Name, List<JinjaExpr> Args, List<(string Name, JinjaExpr Value)> Kwargs, int Line) : JinjaExpr(Line);
internal sealed record TestExpr(JinjaExpr Value, string Name, List<JinjaExpr> Args, bool Negated, int Line) : JinjaExpr(Line);
internal sealed record BinaryExpr(string Op, JinjaExpr Left, JinjaExpr Right, int Line) : JinjaExpr(Line);
internal sealed record UnaryExpr(string Op, JinjaExpr Operand, int Line) : JinjaExpr(Line);
internal sealed record CompareExpr(JinjaExpr First, List<(string Op, JinjaExpr Expr)> Rest, int Line) : JinjaExpr(Line);
internal sealed record CondExpr(JinjaExpr Test, JinjaExpr Then, JinjaExpr? Else, int Line) : JinjaExpr(Line);
internal sealed record ListExpr(List<JinjaExpr> Items, int Line) : JinjaExpr(Line);
internal sealed record TupleExpr(List<JinjaExpr> Items, int Line) : JinjaExpr(Line);
internal sealed record DictExpr(List<(JinjaExpr Key, JinjaExpr Value)> Items, int Line) : JinjaExpr(Line);
/// <summary>The rendered body of a filter block or set block, where its filter chain starts.</summary>
internal sealed record PlaceholderExpr(int Line) : JinjaExpr(Line);
/// <summary>`ns.attr` as an assignment target.</summary>
internal sealed record NamespaceRefExpr(string Name, string Attr, int Line) : JinjaExpr(Line);
internal sealed record ConcatExpr(List<JinjaExpr> Parts, int Line) : JinjaExpr(Line);
