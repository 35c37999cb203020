using System.Globalization;
using System.Text.Json;
using static R1Sharp.Inference.Constraints.GrammarExpr;

namespace R1Sharp.Inference.Constraints;

/// <summary>
/// Compiles a JSON schema (draft 2020-12, with draft-07's <c>definitions</c> and array-form <c>items</c>) into grammar
/// expressions whose language is a subset of the schema's valid instances, formatted as documented in
/// docs/structured-outputs.md. Each location is compiled once per nesting depth, so recursive <c>$ref</c>s unroll up to
/// <see cref="JsonGrammarOptions.MaxNestingDepth"/> and the result has no recursion. Validation keywords it cannot
/// enforce throw <see cref="UnsupportedSchemaException"/>; annotations and unknown keywords are ignored, as validators do.
/// </summary>
internal sealed class JsonSchemaCompiler
{
    private static readonly HashSet<string> s_unsupported = new(StringComparer.Ordinal)
    {
        "pattern", "patternProperties", "propertyNames", "multipleOf", "minProperties", "maxProperties", "uniqueItems",
        "contains", "minContains", "maxContains", "not", "if", "then", "else", "dependentRequired", "dependentSchemas",
        "dependencies", "unevaluatedItems", "unevaluatedProperties", "$dynamicRef", "$dynamicAnchor", "$recursiveRef",
        "$recursiveAnchor", "$vocabulary",
    };

    private static readonly HashSet<string> s_validation = new(StringComparer.Ordinal)
    {
        "type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "properties", "required", "additionalProperties",
        "items", "prefixItems", "additionalItems", "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum",
    };

    private static readonly string[] s_containerKeywords =
        ["properties", "required", "additionalProperties", "items", "prefixItems", "additionalItems", "minItems", "maxItems"];

    private static readonly JsonElement s_true = JsonDocument.Parse("true").RootElement.Clone();

    [Flags]
    private enum JsonTypes
    {
        None = 0, Null = 1, Boolean = 2, Object = 4, Array = 8, String = 16, Integer = 32, Number = 64,
        All = Null | Boolean | Object | Array | String | Number,
    }

    private readonly JsonElement _root;
    private readonly JsonGrammarOptions _options;
    private readonly Dictionary<(string Path, int Depth), GrammarExpr?> _memo = [];
    private readonly HashSet<(string Path, int Depth)> _active = [];
    private UnsupportedSchemaException? _emptyReason;

    private JsonSchemaCompiler(JsonElement root, JsonGrammarOptions options)
    {
        _root = root;
        _options = options;
    }

    /// <summary>The grammar of the values of <paramref name="schema"/> (no surrounding whitespace).</summary>
    public static GrammarExpr Compile(JsonElement schema, JsonGrammarOptions options)
    {
        var c = new JsonSchemaCompiler(schema, options);
        return c.Value(schema, "#", 0)
            ?? throw c._emptyReason ?? new UnsupportedSchemaException("schema", "#", "the schema admits no value");
    }

    private GrammarExpr? Value(JsonElement s, string path, int depth)
    {
        var key = (s.ValueKind == JsonValueKind.True ? "true" : path, depth);
        if (_memo.TryGetValue(key, out var done)) return done;
        if (!_active.Add(key))
            throw new UnsupportedSchemaException("$ref", path, "a recursive reference must nest inside an object or array");
        var result = Uncached(s, path, depth);
        _active.Remove(key);
        _memo[key] = result;
        return result;
    }

    private GrammarExpr? Uncached(JsonElement s, string path, int depth)
    {
        switch (s.ValueKind)
        {
            case JsonValueKind.False: return Empty("false", path, "the schema false admits no value");
            case JsonValueKind.True: return Typed(s, path, depth);
            case JsonValueKind.Object: break;
            default: throw new UnsupportedSchemaException("schema", path, $"a schema must be an object or a boolean, not {Describe(s)}");
        }
        CheckKeywords(s, path);
        if (s.TryGetProperty("$ref", out var reference))
        {
            OnlyKeyword(s, path, "$ref");
            var (target, targetPath) = Resolve(reference, path);
            return Value(target, targetPath, depth);
        }
        if (s.TryGetProperty("allOf", out var allOf)) return AllOf(s, allOf, path, depth);
        bool any = s.TryGetProperty("anyOf", out var anyOf), one = s.TryGetProperty("oneOf", out var oneOf);
        if (any && one) throw new UnsupportedSchemaException("oneOf", path, "anyOf and oneOf in one schema are not supported");
        if (any) return Alternatives(s, anyOf, "anyOf", path, depth);
        if (one) return Alternatives(s, oneOf, "oneOf", path, depth);
        if (s.TryGetProperty("enum", out _) || s.TryGetProperty("const", out _)) return Literals(s, path);
        return Typed(s, path, depth);
    }

    private static void CheckKeywords(JsonElement s, string path)
    {
        foreach (var p in s.EnumerateObject())
        {
            if (s_unsupported.Contains(p.Name))
            {
                if (p.Name == "uniqueItems" && p.Value.ValueKind == JsonValueKind.False) continue;
                throw new UnsupportedSchemaException(p.Name, path, $"'{p.Name}' is not supported");
            }
            if (p.Name == "$id" && path != "#")
                throw new UnsupportedSchemaException("$id", path, "$id below the root is not supported (references are JSON pointers from the root)");
            if (p.Name is "exclusiveMinimum" or "exclusiveMaximum" && p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                throw new UnsupportedSchemaException(p.Name, path, $"boolean '{p.Name}' (draft 4) is not supported: give the bound as a number");
        }
    }

    /// <summary>Throws when a validation keyword other than <paramref name="keyword"/> sits beside it.</summary>
    private static void OnlyKeyword(JsonElement s, string path, string keyword)
    {
        foreach (var p in s.EnumerateObject())
            if (p.Name != keyword && s_validation.Contains(p.Name))
                throw new UnsupportedSchemaException(p.Name, path, $"'{p.Name}' beside '{keyword}' is not supported: move it into the schemas '{keyword}' names");
    }

    private (JsonElement Target, string Path) Resolve(JsonElement reference, string path)
    {
        if (reference.ValueKind != JsonValueKind.String)
            throw new UnsupportedSchemaException("$ref", path, "$ref must be a string");
        string r = reference.GetString()!;
        if (!r.StartsWith('#'))
            throw new UnsupportedSchemaException("$ref", path, $"only references within the schema ('#/...') are supported, not '{r}'");
        string pointer = Uri.UnescapeDataString(r[1..]);
        if (pointer.Length == 0) return (_root, "#");
        if (!pointer.StartsWith('/'))
            throw new UnsupportedSchemaException("$ref", path, $"'{r}' is not a JSON pointer (anchors are not supported)");
        var node = _root;
        string target = "#";
        foreach (string raw in pointer[1..].Split('/'))
        {
            string token = raw.Replace("~1", "/").Replace("~0", "~");
            target += "/" + Escape(token);
            if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(token, out var child)) node = child;
            else if (node.ValueKind == JsonValueKind.Array && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i < node.GetArrayLength()) node = node[i];
            else throw new UnsupportedSchemaException("$ref", path, $"'{r}' does not point into the schema");
        }
        return (node, target);
    }

    private GrammarExpr? AllOf(JsonElement s, JsonElement allOf, string path, int depth)
    {
        if (allOf.ValueKind != JsonValueKind.Array || allOf.GetArrayLength() == 0)
            throw new UnsupportedSchemaException("allOf", path, "allOf must be a non-empty array");
        OnlyKeyword(s, path, "allOf");
        var constraining = Enumerable.Range(0, allOf.GetArrayLength()).Where(i => !IsAnnotationOnly(allOf[i])).ToList();
        if (constraining.Count > 1)
            throw new UnsupportedSchemaException("allOf", path, "allOf with more than one constraining schema is not supported");
        return constraining.Count == 0 ? Value(s_true, path, depth) : Value(allOf[constraining[0]], $"{path}/allOf/{constraining[0]}", depth);
    }

    private static bool IsAnnotationOnly(JsonElement s) =>
        s.ValueKind == JsonValueKind.True ||
        s.ValueKind == JsonValueKind.Object && s.EnumerateObject().All(p => !s_validation.Contains(p.Name) && !s_unsupported.Contains(p.Name));

    private GrammarExpr? Alternatives(JsonElement s, JsonElement list, string keyword, string path, int depth)
    {
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw new UnsupportedSchemaException(keyword, path, $"{keyword} must be a non-empty array");
        OnlyKeyword(s, path, keyword);
        var alts = new List<(GrammarExpr Expr, JsonElement Schema, int Index)>();
        for (int i = 0; i < list.GetArrayLength(); i++)
            if (Value(list[i], $"{path}/{keyword}/{i}", depth) is { } e) alts.Add((e, list[i], i));
        if (alts.Count == 0) return Empty(keyword, path, $"no alternative of {keyword} admits a value");
        if (keyword == "oneOf")
            for (int i = 0; i < alts.Count; i++)
                for (int j = i + 1; j < alts.Count; j++)
                    if (FirstBytes(alts[i].Expr).Overlaps(FirstBytes(alts[j].Expr)) && !DiscriminatedApart(alts[i].Schema, alts[j].Schema))
                        throw new UnsupportedSchemaException("oneOf", path,
                            $"alternatives {alts[i].Index} and {alts[j].Index} may both match one value: oneOf is supported when its " +
                            "alternatives differ in type or in the const/enum value of a required property (use anyOf otherwise)");
        return alts.Count == 1 ? alts[0].Expr : new ChoiceExpr(alts.Select(a => a.Expr).ToArray());
    }

    /// <summary>Both are object schemas with a required property whose const/enum values differ entirely (a tagged union).</summary>
    private bool DiscriminatedApart(JsonElement a, JsonElement b)
    {
        a = Deref(a);
        b = Deref(b);
        if (a.ValueKind != JsonValueKind.Object || b.ValueKind != JsonValueKind.Object) return false;
        if (!a.TryGetProperty("properties", out var pa) || !b.TryGetProperty("properties", out var pb)) return false;
        if (pa.ValueKind != JsonValueKind.Object || pb.ValueKind != JsonValueKind.Object) return false;
        foreach (string name in RequiredNames(a).Intersect(RequiredNames(b)))
        {
            if (!pa.TryGetProperty(name, out var sa) || !pb.TryGetProperty(name, out var sb)) continue;
            var la = LiteralKeys(Deref(sa));
            var lb = LiteralKeys(Deref(sb));
            if (la != null && lb != null && !la.Overlaps(lb)) return true;
        }
        return false;
    }

    private JsonElement Deref(JsonElement s)
    {
        for (int hops = 0; hops < 64 && s.ValueKind == JsonValueKind.Object; hops++)
        {
            if (s.TryGetProperty("$ref", out var r)) s = Resolve(r, "#").Target;
            else if (s.TryGetProperty("allOf", out var all) && all.ValueKind == JsonValueKind.Array &&
                     all.EnumerateArray().Where(x => !IsAnnotationOnly(x)).ToList() is [var single]) s = single;
            else break;
        }
        return s;
    }

    private static IEnumerable<string> RequiredNames(JsonElement s) =>
        s.TryGetProperty("required", out var r) && r.ValueKind == JsonValueKind.Array
            ? r.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)
            : [];

    private static HashSet<string>? LiteralKeys(JsonElement s)
    {
        if (s.ValueKind != JsonValueKind.Object) return null;
        HashSet<string>? keys = null;
        if (s.TryGetProperty("const", out var c)) keys = [JsonLiteral.CanonicalKey(c)];
        if (s.TryGetProperty("enum", out var e) && e.ValueKind == JsonValueKind.Array)
        {
            var fromEnum = e.EnumerateArray().Select(JsonLiteral.CanonicalKey).ToHashSet();
            if (keys == null) keys = fromEnum;
            else keys.IntersectWith(fromEnum);
        }
        return keys;
    }

    private GrammarExpr? Literals(JsonElement s, string path)
    {
        foreach (string k in s_containerKeywords)
            if (s.TryGetProperty(k, out _))
                throw new UnsupportedSchemaException(k, path, $"'{k}' beside enum/const is not supported");
        var values = new List<JsonElement>();
        bool hasConst = s.TryGetProperty("const", out var c);
        if (s.TryGetProperty("enum", out var e))
        {
            if (e.ValueKind != JsonValueKind.Array) throw new UnsupportedSchemaException("enum", path, "enum must be an array");
            string? constKey = hasConst ? JsonLiteral.CanonicalKey(c) : null;
            values.AddRange(e.EnumerateArray().Where(v => constKey == null || JsonLiteral.CanonicalKey(v) == constKey));
        }
        else values.Add(c);
        var types = TypeSet(s, path);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var alts = new List<GrammarExpr>();
        foreach (var v in values)
        {
            if (!Admits(v, s, types, path) || !seen.Add(JsonLiteral.CanonicalKey(v))) continue;
            try
            {
                alts.Add(new TextExpr(JsonLiteral.Encode(v)));
            }
            catch (ArgumentException ex)
            {
                throw new UnsupportedSchemaException(hasConst ? "const" : "enum", path, ex.Message);
            }
        }
        if (alts.Count == 0)
            return Empty(s.TryGetProperty("enum", out _) ? "enum" : "const", path, "no enum/const value satisfies the schema's other keywords");
        return alts.Count == 1 ? alts[0] : new ChoiceExpr([.. alts]);
    }

    /// <summary>Whether a literal satisfies the type and the string/number keywords beside its enum/const.</summary>
    private static bool Admits(JsonElement v, JsonElement s, JsonTypes types, string path)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Null: return (types & JsonTypes.Null) != 0;
            case JsonValueKind.True or JsonValueKind.False: return (types & JsonTypes.Boolean) != 0;
            case JsonValueKind.Object: return (types & JsonTypes.Object) != 0;
            case JsonValueKind.Array: return (types & JsonTypes.Array) != 0;
            case JsonValueKind.String:
                if ((types & JsonTypes.String) == 0) return false;
                string text = v.GetString()!;
                int codePoints = text.EnumerateRunes().Count();
                int clusters = new StringInfo(text).LengthInTextElements;
                return clusters >= (Count(s, "minLength", path) ?? 0) && codePoints <= (Count(s, "maxLength", path) ?? int.MaxValue);
            case JsonValueKind.Number:
                var x = ExactDecimal.Parse(v.GetRawText());
                if ((types & JsonTypes.Number) == 0 && !((types & JsonTypes.Integer) != 0 && x.IsInteger)) return false;
                return (Bound(s, "minimum", path) is not { } min || x.CompareTo(min) >= 0)
                    && (Bound(s, "maximum", path) is not { } max || x.CompareTo(max) <= 0)
                    && (Bound(s, "exclusiveMinimum", path) is not { } xmin || x.CompareTo(xmin) > 0)
                    && (Bound(s, "exclusiveMaximum", path) is not { } xmax || x.CompareTo(xmax) < 0);
            default: return false;
        }
    }

    private GrammarExpr? Typed(JsonElement s, string path, int depth)
    {
        var types = TypeSet(s, path);
        int? minLength = Count(s, "minLength", path), maxLength = Count(s, "maxLength", path);
        ExactDecimal? minimum = Bound(s, "minimum", path), maximum = Bound(s, "maximum", path);
        ExactDecimal? exclusiveMinimum = Bound(s, "exclusiveMinimum", path), exclusiveMaximum = Bound(s, "exclusiveMaximum", path);
        if (types == JsonTypes.None) return Empty("type", path, "an empty type list admits no value");
        var alts = new List<GrammarExpr>();
        if ((types & JsonTypes.Null) != 0) alts.Add(new TextExpr("null"u8.ToArray()));
        if ((types & JsonTypes.Boolean) != 0) alts.Add(new ChoiceExpr([new TextExpr("true"u8.ToArray()), new TextExpr("false"u8.ToArray())]));
        if ((types & (JsonTypes.Integer | JsonTypes.Number)) != 0)
        {
            bool integer = (types & JsonTypes.Number) == 0;
            if (NumberSpec.Create(integer, _options, minimum, maximum, exclusiveMinimum, exclusiveMaximum) is { } spec) alts.Add(new NumberExpr(spec));
            else Empty(minimum != null ? "minimum" : exclusiveMinimum != null ? "exclusiveMinimum" : "maximum", path,
                $"no {(integer ? "integer" : "number")} within the bounds can be generated (magnitudes below 10^18, {(integer ? 0 : _options.MaxFractionDigits)} fraction digits)");
        }
        if ((types & JsonTypes.String) != 0)
        {
            int min = minLength ?? 0, max = maxLength ?? StringSpec.Unbounded;
            if (min <= max) alts.Add(new StringExpr(new StringSpec(min, max)));
            else Empty("minLength", path, $"minLength {min} is above maxLength {max}");
        }
        if ((types & JsonTypes.Object) != 0 && ObjectRule(s, path, depth) is { } obj) alts.Add(obj);
        if ((types & JsonTypes.Array) != 0 && ArrayRule(s, path, depth) is { } arr) alts.Add(arr);
        return alts.Count switch { 0 => null, 1 => alts[0], _ => new ChoiceExpr([.. alts]) };
    }

    private GrammarExpr? ObjectRule(JsonElement s, string path, int depth)
    {
        if (depth >= _options.MaxNestingDepth)
            return Empty("type", path, $"objects and arrays nest deeper than {_options.MaxNestingDepth} levels (JsonGrammarOptions.MaxNestingDepth)");
        JsonElement? properties = null, additional = null;
        var required = new List<string>();
        if (s.ValueKind == JsonValueKind.Object)
        {
            if (s.TryGetProperty("properties", out var p))
            {
                if (p.ValueKind != JsonValueKind.Object) throw new UnsupportedSchemaException("properties", path, "properties must be an object");
                properties = p;
            }
            if (s.TryGetProperty("required", out var r))
            {
                if (r.ValueKind != JsonValueKind.Array || r.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
                    throw new UnsupportedSchemaException("required", path, "required must be an array of strings");
                required.AddRange(r.EnumerateArray().Select(x => x.GetString()!).Distinct());
            }
            if (s.TryGetProperty("additionalProperties", out var a)) additional = a;
        }
        var declared = new HashSet<string>(StringComparer.Ordinal);
        var members = new List<ObjectMember>();
        if (properties is { } props)
            foreach (var p in props.EnumerateObject())
            {
                if (!declared.Add(p.Name)) continue;
                bool isRequired = required.Contains(p.Name);
                var v = Value(p.Value, $"{path}/properties/{Escape(p.Name)}", depth + 1);
                if (v == null)
                {
                    if (isRequired) return null;
                    continue;
                }
                members.Add(new ObjectMember(KeyLiteral(p.Name, path), v, isRequired));
            }
        var additionalSchema = additional ?? s_true;
        foreach (string name in required)
        {
            if (!declared.Add(name)) continue;
            if (additionalSchema.ValueKind == JsonValueKind.False)
                return Empty("required", path, $"required property '{name}' is not in properties and additionalProperties is false");
            var v = Value(additionalSchema, $"{path}/additionalProperties", depth + 1);
            if (v == null) return null;
            members.Add(new ObjectMember(KeyLiteral(name, path), v, true));
        }
        // Without additionalProperties, an object that lists properties gets only those (a valid subset); one that
        // lists none gets any members.
        bool free = additional is { } add ? add.ValueKind != JsonValueKind.False : properties == null;
        GrammarExpr? additionalValue = free ? Value(additionalSchema, $"{path}/additionalProperties", depth + 1) : null;
        StringSpec? keySpec = additionalValue == null ? null
            : new StringSpec(0, StringSpec.Unbounded, isKey: true, declared.Select(StringScan.HashOf).ToHashSet());
        var rule = new GrammarRule($"object {path} at depth {depth}") { Body = new ObjectExpr([.. members], additionalValue, keySpec) };
        return new RuleExpr(rule);
    }

    private static byte[] KeyLiteral(string name, string path)
    {
        try
        {
            return JsonLiteral.EncodeString(name);
        }
        catch (ArgumentException e)
        {
            throw new UnsupportedSchemaException("properties", path, $"property name {System.Text.Json.JsonSerializer.Serialize(name)}: {e.Message}");
        }
    }

    private GrammarExpr? ArrayRule(JsonElement s, string path, int depth)
    {
        if (depth >= _options.MaxNestingDepth)
            return Empty("type", path, $"objects and arrays nest deeper than {_options.MaxNestingDepth} levels (JsonGrammarOptions.MaxNestingDepth)");
        var prefix = new List<(JsonElement Schema, string Path)>();
        JsonElement rest = s_true;
        string restPath = $"{path}/items";
        if (s.ValueKind == JsonValueKind.Object)
        {
            bool hasItems = s.TryGetProperty("items", out var items);
            if (s.TryGetProperty("prefixItems", out var prefixItems))
            {
                if (prefixItems.ValueKind != JsonValueKind.Array) throw new UnsupportedSchemaException("prefixItems", path, "prefixItems must be an array");
                for (int i = 0; i < prefixItems.GetArrayLength(); i++) prefix.Add((prefixItems[i], $"{path}/prefixItems/{i}"));
                if (hasItems) rest = items;
            }
            else if (hasItems && items.ValueKind == JsonValueKind.Array)
            {
                for (int i = 0; i < items.GetArrayLength(); i++) prefix.Add((items[i], $"{path}/items/{i}"));
                restPath = $"{path}/additionalItems";
                if (s.TryGetProperty("additionalItems", out var additionalItems)) rest = additionalItems;
            }
            else if (hasItems) rest = items;
        }
        int minItems = Count(s, "minItems", path) ?? 0;
        int? maxItems = Count(s, "maxItems", path);
        if (minItems > _options.MaxUnrolledItems)
            throw new UnsupportedSchemaException("minItems", path, $"minItems above {_options.MaxUnrolledItems} is not supported");
        int limit = Math.Min(maxItems ?? int.MaxValue, maxItems == null ? int.MaxValue : _options.MaxUnrolledItems);
        var prefixExprs = new List<GrammarExpr>();
        for (int i = 0; i < prefix.Count && i < limit; i++)
        {
            var e = Value(prefix[i].Schema, prefix[i].Path, depth + 1);
            if (e == null)
            {
                limit = i;
                break;
            }
            prefixExprs.Add(e);
        }
        var restExpr = limit > prefixExprs.Count ? Value(rest, restPath, depth + 1) : null;
        if (restExpr == null) limit = Math.Min(limit, prefixExprs.Count);
        if (minItems > limit) return Empty("minItems", path, $"minItems {minItems} cannot be reached with these item schemas and maxItems");
        var rule = new GrammarRule($"array {path} at depth {depth}")
        {
            Body = new ArrayExpr([.. prefixExprs], restExpr, minItems, limit == int.MaxValue ? null : limit),
        };
        return new RuleExpr(rule);
    }

    private static JsonTypes TypeSet(JsonElement s, string path)
    {
        if (s.ValueKind != JsonValueKind.Object || !s.TryGetProperty("type", out var t)) return JsonTypes.All;
        JsonTypes Parse(JsonElement name) => name.ValueKind == JsonValueKind.String ? name.GetString() switch
        {
            "null" => JsonTypes.Null,
            "boolean" => JsonTypes.Boolean,
            "object" => JsonTypes.Object,
            "array" => JsonTypes.Array,
            "string" => JsonTypes.String,
            "integer" => JsonTypes.Integer,
            "number" => JsonTypes.Number,
            var other => throw new UnsupportedSchemaException("type", path, $"unknown type '{other}'"),
        } : throw new UnsupportedSchemaException("type", path, "type must be a string or an array of strings");
        if (t.ValueKind == JsonValueKind.Array) return t.EnumerateArray().Aggregate(JsonTypes.None, (acc, x) => acc | Parse(x));
        return Parse(t);
    }

    /// <summary>A non-negative integer keyword (null when absent; values beyond int range saturate).</summary>
    private static int? Count(JsonElement s, string keyword, string path)
    {
        if (s.ValueKind != JsonValueKind.Object || !s.TryGetProperty(keyword, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number)
        {
            var x = ExactDecimal.Parse(v.GetRawText());
            if (x.IsInteger && x.Mantissa.Sign >= 0)
                return x.CompareTo(new ExactDecimal(int.MaxValue, 0)) >= 0 ? int.MaxValue : (int)x.Scaled(0, false);
        }
        throw new UnsupportedSchemaException(keyword, path, $"{keyword} must be a non-negative integer");
    }

    private static ExactDecimal? Bound(JsonElement s, string keyword, string path)
    {
        if (s.ValueKind != JsonValueKind.Object || !s.TryGetProperty(keyword, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number) throw new UnsupportedSchemaException(keyword, path, $"{keyword} must be a number");
        return ExactDecimal.Parse(v.GetRawText());
    }

    /// <summary>The bytes a value of <paramref name="e"/> may begin with.</summary>
    private static ByteSet256 FirstBytes(GrammarExpr e)
    {
        var set = new ByteSet256();
        AddFirst(e, ref set);
        return set;
    }

    /// <summary>Adds the first bytes of <paramref name="e"/>; returns whether it can be empty.</summary>
    private static bool AddFirst(GrammarExpr e, ref ByteSet256 set)
    {
        switch (e)
        {
            case TextExpr t:
                if (t.Bytes.Length == 0) return true;
                set.Add(t.Bytes[0]);
                return false;
            case ByteSetExpr b:
                foreach (var (lo, hi) in b.Ranges) for (int x = lo; x <= hi; x++) set.Add((byte)x);
                return false;
            case SequenceExpr seq:
                foreach (var item in seq.Items) if (!AddFirst(item, ref set)) return false;
                return true;
            case ChoiceExpr c:
                bool empty = false;
                foreach (var alt in c.Alternatives) empty |= AddFirst(alt, ref set);
                return empty;
            case RepeatExpr r:
                return AddFirst(r.Item, ref set) || r.Min == 0;
            case StringExpr:
                set.Add((byte)'"');
                return false;
            case NumberExpr n:
                if (n.Spec.Lo < 0) set.Add((byte)'-');
                if (n.Spec.Hi >= 0) for (byte d = (byte)'0'; d <= (byte)'9'; d++) set.Add(d);
                return false;
            case ObjectExpr:
                set.Add((byte)'{');
                return false;
            case ArrayExpr:
                set.Add((byte)'[');
                return false;
            case RuleExpr rule:
                return AddFirst(rule.Rule.Body!, ref set);
            default:
                for (int x = 0; x < 256; x++) set.Add((byte)x); // anything else: assume it may start with any byte
                return true;
        }
    }

    private GrammarExpr? Empty(string keyword, string path, string reason)
    {
        _emptyReason = new UnsupportedSchemaException(keyword, path, reason);
        return null;
    }

    private static string Escape(string name) => name.Replace("~", "~0").Replace("/", "~1");

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString(),
    };

    private struct ByteSet256
    {
        private ulong _a, _b, _c, _d;

        public void Add(byte x)
        {
            ulong bit = 1UL << (x & 63);
            switch (x >> 6)
            {
                case 0: _a |= bit; break;
                case 1: _b |= bit; break;
                case 2: _c |= bit; break;
                default: _d |= bit; break;
            }
        }

        public readonly bool Overlaps(ByteSet256 o) => ((_a & o._a) | (_b & o._b) | (_c & o._c) | (_d & o._d)) != 0;
    }
}
