using R1Sharp.Inference.Constraints;
using static R1Sharp.Inference.Tests.Constraints.ConstraintKit;

namespace R1Sharp.Inference.Tests.Constraints;

/// <summary>The language of compiled schemas, byte by byte: hand-picked texts in and out, each checked against the
/// schema semantics (and JsonSchema.Net for the accepted ones).</summary>
public class SchemaGrammarTests
{
    private static void In(string schema, params string[] texts)
    {
        var g = Schema(schema);
        foreach (string t in texts)
        {
            Assert.True(Accepts(g, t), $"should accept {t}");
            Assert.True(ValidJson(schema, t, out string why), $"{t} accepted but invalid: {why}");
        }
    }

    private static void Out(string schema, params string[] texts)
    {
        var g = Schema(schema);
        foreach (string t in texts) Assert.False(Accepts(g, t), $"should reject {t}");
    }

    private const string Person = """
        {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},
         "required":["a","c"],"additionalProperties":false}
        """;

    [Fact]
    public void ObjectsKeepThePropertyOrderAndSkipOnlyOptionalOnes()
    {
        In(Person, """{"a":1,"c":true}""", """{"a":1,"b":"x","c":false}""", """{ "a" : -2 , "c" : true }""",
            "{\n  \"a\": 1,\n  \"b\": \"\",\n  \"c\": true\n}", "\n\n{\"a\":0,\"c\":false}");
        Out(Person, """{"c":true,"a":1}""", """{"a":1}""", """{"a":1,"c":true,"d":1}""", """{"a":1,,"c":true}""", "{}",
            """{"a":1,"c":true,}""", """{"a":1 "c":true}""", """{"a":1,"c":true} """, """{"a":1,"b":"x","b":"y","c":true}""");
    }

    [Fact]
    public void AllOptionalPropertiesAllowTheEmptyObjectAndAnySubsetInOrder()
    {
        const string s = """{"type":"object","properties":{"x":{"type":"null"},"y":{"type":"null"},"z":{"type":"null"}},"additionalProperties":false}""";
        In(s, "{}", "{ }", """{"y":null}""", """{"x":null,"z":null}""", """{"x":null,"y":null,"z":null}""");
        Out(s, """{"z":null,"x":null}""", """{,"x":null}""", """{"x":null,}""");
    }

    [Fact]
    public void AdditionalPropertiesTakeFreeKeysAfterTheListedOnesNeverRepeatingAKey()
    {
        const string s = """{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":{"type":"string","maxLength":3}}""";
        In(s, """{"a":1,"x":"y","z":"w"}""", """{"x":"1"}""", "{}", """{"a":1}""");
        Out(s, """{"a":1,"x":2}""", """{"x":"1","x":"2"}""", """{"x":"1","\u0078":"2"}""", """{"a":1,"a":"s"}""",
            """{"x":"1","a":1}""", """{"x":"long"}""");
    }

    [Fact]
    public void AbsentAdditionalPropertiesMeansOnlyTheListedOnes()
    {
        const string s = """{"type":"object","properties":{"a":{"type":"integer"}}}""";
        In(s, """{"a":1}""", "{}");
        Out(s, """{"a":1,"b":2}""");
    }

    [Fact]
    public void AnyObjectAndAnyValue()
    {
        var obj = Grammar.JsonObject();
        foreach (string t in new[] { "{}", """{"k":[1,{"z":null}],"s":"\u00e9\n"}""", """{"a":{"a":{"a":[]}}}""", "{\"x\":-0.5}" })
            Assert.True(Accepts(obj, t), t);
        foreach (string t in new[] { "[]", "1", "\"s\"", """{"a":1,"a":2}""", """{"a":1,"\u0061":2}""", "{\"x\":1e5}", "{\"x\":01}" })
            Assert.False(Accepts(obj, t), t);
        var any = Grammar.JsonValue();
        foreach (string t in new[] { "[]", "1", "\"s\"", "null", "true", "[1,[2,[3]]]", "-12.5", "{}" })
            Assert.True(Accepts(any, t), t);
        foreach (string t in new[] { "", "nul", "tru", "[1,]", "-", "1.", ".5", "+1", "NaN" })
            Assert.False(Accepts(any, t), t);
    }

    [Fact]
    public void StringLengthsCountCodePointsAndMinLengthCountsOnlySureClusters()
    {
        const string max3 = """{"type":"string","maxLength":3}""";
        In(max3, "\"abc\"", "\"日本語\"", "\"\\u00e9\\n\\\"\"", "\"\"", "\"😀😀😀\"");
        Out(max3, "\"abcd\"", "\"日本語!\"");
        const string min2 = """{"type":"string","minLength":2}""";
        In(min2, "\"ab\"", "\"日本\"", "\"\\t\\t\"");
        // one grapheme cluster each (combining accent, CR LF, a flag): JsonSchema.Net counts clusters, so these must not
        // pass although they have two code points
        Out(min2, "\"a\"", "\"e\u0301\"", "\"\\r\\n\"", "\"\U0001F1EB\U0001F1F7\"", "\"\"");
        const string exactly2 = """{"type":"string","minLength":2,"maxLength":2}""";
        In(exactly2, "\"xy\"", "\"!é\"", "\"é!\"", "\"\\n\\t\"", "\"日本\"");
        Out(exactly2, "\"x\"", "\"xyz\"", "\"e\u0301\"");
        Assert.False(IsPrefix(Schema(exactly2), "\"e\u0301")); // no way to reach two clusters within two code points
    }

    [Fact]
    public void StringsAreWellFormedJsonAndUtf8()
    {
        var g = Schema("""{"type":"string"}""");
        Assert.True(Accepts(g, "\"\\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00E9 \\uFFFD\""));
        foreach (string t in new[] { "\"\\x\"", "\"\\u12\"", "\"\\ud83d\\ude00\"", "\"\\uDC00\"", "\"a\nb\"", "\"\t\"", "'a'", "\"a" })
            Assert.False(Accepts(g, t), t);
        var m = new GrammarMatcher(g);
        Assert.True(m.TryAdvance("\""u8));
        Assert.False(m.CanAdvance([0xC0, 0x80]));       // overlong
        Assert.False(m.CanAdvance([0xED, 0xA0, 0x80])); // a surrogate in UTF-8
        Assert.False(m.CanAdvance([0xF4, 0x90, 0x80])); // above U+10FFFF
        Assert.False(m.CanAdvance([0x80]));
        Assert.True(m.CanAdvance([0xF0, 0x9F, 0x98]));  // an open 4-byte character is a prefix
        Assert.True(m.TryAdvance([0xE6, 0x97]));
        Assert.False(m.CanAdvance("\""u8));              // cannot close inside a character
        Assert.True(m.TryAdvance([0xA5, (byte)'"']));
        Assert.True(m.IsFinished);
    }

    [Fact]
    public void EnumAndConstOfAnyJsonValue()
    {
        const string s = """{"enum":["a",1,null,{"x":[1,2]},"q\"\n"]}""";
        In(s, "\"a\"", "1", "null", """{"x":[1,2]}""", "\"q\\\"\\n\"");
        Out(s, "\"b\"", "1.0", "2", "{\"x\":[1]}", "\"q\\\"\\u000a\"");
        In("""{"const":{"k":"v"}}""", """{"k":"v"}""");
        In("""{"type":"string","enum":["a",1,"bb"],"maxLength":1}""", "\"a\"");
        Out("""{"type":"string","enum":["a",1,"bb"],"maxLength":1}""", "1", "\"bb\"");
    }

    [Fact]
    public void ArraysWithCountsPrefixItemsAndDraft7Tuples()
    {
        const string s = """{"type":"array","items":{"type":"integer","minimum":0,"maximum":9},"minItems":2,"maxItems":3}""";
        In(s, "[1,2]", "[ 1 , 2 , 3 ]", "[0,\n  0]");
        Out(s, "[]", "[1]", "[1,2,3,4]", "[1,10]", "[1,2,]");
        const string tuple = """{"type":"array","prefixItems":[{"type":"string"},{"type":"boolean"}],"items":false}""";
        In(tuple, "[]", "[\"a\"]", "[\"a\",true]");
        Out(tuple, "[true]", "[\"a\",true,1]");
        const string draft7 = """{"type":"array","items":[{"type":"null"}],"additionalItems":{"type":"integer"},"minItems":1}""";
        In(draft7, "[null]", "[null,1,2]");
        Out(draft7, "[]", "[1]", "[null,null]");
        In("""{"type":"array"}""", "[]", "[1,\"x\",[null]]");
        In("""{"type":"array","maxItems":0}""", "[]");
        Out("""{"type":"array","maxItems":0}""", "[1]");
    }

    [Fact]
    public void AnyOfOneOfAndTypeArrays()
    {
        const string opt = """{"anyOf":[{"type":"string","maxLength":2},{"type":"null"}]}""";
        In(opt, "\"ab\"", "null");
        Out(opt, "\"abc\"", "1");
        In("""{"type":["integer","null"],"maximum":3}""", "3", "null", "-7");
        Out("""{"type":["integer","null"],"maximum":3}""", "4", "\"x\"", "1.5");
        const string tagged = """
            {"oneOf":[{"$ref":"#/$defs/cat"},{"$ref":"#/$defs/dog"}],
             "$defs":{"cat":{"type":"object","properties":{"kind":{"const":"cat"},"lives":{"type":"integer"}},"required":["kind"],"additionalProperties":false},
                      "dog":{"type":"object","properties":{"kind":{"enum":["dog","wolf"]},"good":{"type":"boolean"}},"required":["kind"],"additionalProperties":false}}}
            """;
        In(tagged, """{"kind":"cat","lives":9}""", """{"kind":"wolf"}""");
        Out(tagged, """{"kind":"cat","good":true}""", """{"kind":"fox"}""");
        In("""{"oneOf":[{"type":"string"},{"type":"integer"},{"type":"object","additionalProperties":false}]}""", "\"s\"", "2", "{}");
        In("""{"oneOf":[{"type":"integer","minimum":0},{"type":"number","exclusiveMaximum":0}]}""", "0", "7", "-0.5");
    }

    [Fact]
    public void RefsResolveLocallyAndRecursionUnrollsToTheDepthLimit()
    {
        const string tree = """
            {"$ref":"#/definitions/node","definitions":{"node":{"type":"object","properties":{"v":{"type":"integer"},
             "kids":{"type":"array","items":{"$ref":"#/definitions/node"},"maxItems":2}},"required":["v"],"additionalProperties":false}}}
            """;
        In(tree, """{"v":1}""", """{"v":1,"kids":[{"v":2},{"v":3,"kids":[]}]}""", """{"v":1,"kids":[{"v":2,"kids":[{"v":3}]}]}""");
        Out(tree, """{"v":1,"kids":[{}]}""", """{"kids":[]}""");
        var shallow = Grammar.FromJsonSchema(tree, new JsonGrammarOptions { MaxNestingDepth = 4 });
        Assert.True(Accepts(shallow, """{"v":1,"kids":[{"v":2}]}"""));       // depth 3
        Assert.True(Accepts(shallow, """{"v":1,"kids":[{"v":2,"kids":[]}]}""")); // depth 4
        Assert.False(Accepts(shallow, """{"v":1,"kids":[{"v":2,"kids":[{"v":3}]}]}""")); // depth 5
        const string list = """{"type":"object","properties":{"next":{"$ref":"#"},"v":{"type":"boolean"}},"additionalProperties":false}""";
        In(list, "{}", """{"next":{"next":{}},"v":true}""");
        var e = Assert.Throws<UnsupportedSchemaException>(() => Schema("""{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"anyOf":[{"$ref":"#/$defs/a"},{"type":"null"}]}},"$ref":"#/$defs/a"}"""));
        Assert.Equal("$ref", e.Keyword);
    }

    [Fact]
    public void WhitespaceIsBoundedAndCanBeTurnedOff()
    {
        var g = Schema("""{"type":"array","items":{"type":"integer"}}""");
        Assert.True(Accepts(g, "[" + new string(' ', 24) + "1]"));
        Assert.False(Accepts(g, "[" + new string(' ', 25) + "1]"));
        Assert.True(Accepts(g, "[1\n\t,\r\n 2]"));
        var compact = Grammar.FromJsonSchema("""{"type":"array","items":{"type":"integer"}}""", new JsonGrammarOptions { MaxWhitespace = 0 });
        Assert.True(Accepts(compact, "[1,2]"));
        Assert.False(Accepts(compact, "[1, 2]"));
        Assert.False(Accepts(compact, " [1,2]"));
    }

    [Fact]
    public void NestingDepthIsBoundedForAnyValue()
    {
        var g = Grammar.JsonValue(new JsonGrammarOptions { MaxNestingDepth = 3 });
        Assert.True(Accepts(g, "[[[1]]]"));
        Assert.True(Accepts(g, """{"a":[{}]}"""));
        Assert.False(Accepts(g, "[[[[1]]]]"));
        Assert.False(Accepts(g, """{"a":[{"b":{}}]}"""));
    }

    [Fact]
    public void CompleteAndFinishedAreExact()
    {
        var m = new GrammarMatcher(Schema("""{"type":"integer","minimum":0,"maximum":50}"""));
        Assert.False(m.IsComplete);
        Assert.True(m.TryAdvance("4"u8));
        Assert.True(m.IsComplete);
        Assert.False(m.IsFinished); // 40..49 still possible
        Assert.True(m.TryAdvance("9"u8));
        Assert.True(m.IsFinished);  // 490 > 50
        var s = new GrammarMatcher(Schema("""{"type":"object","properties":{"a":{"type":"null"}},"additionalProperties":false}"""));
        Assert.True(s.TryAdvance("{\"a\":null"u8));
        Assert.False(s.IsComplete);
        Assert.True(s.TryAdvance("}"u8));
        Assert.True(s.IsFinished);
    }

    [Fact]
    public void ComposedGrammarsChooseAndRepeat()
    {
        GrammarExpr Call(string name, string schema) => GrammarExpr.Sequence(GrammarExpr.Text(name + ":"), GrammarExpr.JsonSchema(schema));
        var g = Grammar.Compile(GrammarExpr.Sequence(
            GrammarExpr.Text("<calls>"),
            GrammarExpr.Repeat(GrammarExpr.Choice(Call("a", """{"type":"integer","minimum":0}"""), Call("b", """{"type":"boolean"}""")), 1, 2),
            GrammarExpr.Text("</calls>")));
        foreach (string t in new[] { "<calls>a:1</calls>", "<calls>b:true</calls>", "<calls>a:0b:false</calls>", "<calls>b:trueb:true</calls>" })
            Assert.True(Accepts(g, t), t);
        foreach (string t in new[] { "<calls></calls>", "<calls>a:-1</calls>", "<calls>a:1a:2a:3</calls>", "<calls>c:1</calls>", "<calls>a: 1</calls>", "<calls>a:1</calls> " })
            Assert.False(Accepts(g, t), t);
        var unbounded = Grammar.Compile(GrammarExpr.Repeat(GrammarExpr.Text("ab"), 0, null));
        Assert.True(Accepts(unbounded, ""));
        Assert.True(Accepts(unbounded, "ababab"));
        Assert.False(Accepts(unbounded, "aba"));
    }

    [Theory]
    [InlineData("""{"type":"string","pattern":"^a"}""", "pattern", "#")]
    [InlineData("""{"type":"object","properties":{"name":{"type":"string","pattern":"x"}}}""", "pattern", "#/properties/name")]
    [InlineData("""{"type":"integer","multipleOf":3}""", "multipleOf", "#")]
    [InlineData("""{"type":"array","items":{"type":"integer"},"uniqueItems":true}""", "uniqueItems", "#")]
    [InlineData("""{"not":{"type":"null"}}""", "not", "#")]
    [InlineData("""{"type":"object","patternProperties":{"^x":{}}}""", "patternProperties", "#")]
    [InlineData("""{"$ref":"https://example.com/s.json"}""", "$ref", "#")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "$ref", "#")]
    [InlineData("""{"type":"number","exclusiveMinimum":true,"minimum":0}""", "exclusiveMinimum", "#")]
    [InlineData("""{"oneOf":[{"type":"integer"},{"type":"number"}]}""", "oneOf", "#")]
    [InlineData("""{"allOf":[{"type":"object"},{"required":["a"]}]}""", "allOf", "#")]
    [InlineData("""{"type":"string","anyOf":[{"maxLength":2}]}""", "type", "#")]
    [InlineData("""{"type":"integer","minimum":5,"maximum":3}""", "minimum", "#")]
    [InlineData("""{"type":"string","minLength":3,"maxLength":2}""", "minLength", "#")]
    [InlineData("""{"type":"object","properties":{"a":false},"required":["a"]}""", "false", "#/properties/a")]
    [InlineData("""{"type":"object","required":["a"],"additionalProperties":false}""", "required", "#")]
    [InlineData("""{"type":"strin"}""", "type", "#")]
    [InlineData("""{"type":"string","maxLength":-1}""", "maxLength", "#")]
    [InlineData("""{"items":{"type":"array","minItems":5000}}""", "minItems", "#/items")]
    [InlineData("""{"enum":[]}""", "enum", "#")]
    [InlineData("""[1]""", "schema", "#")]
    public void UnsupportedOrUnsatisfiableSchemasNameTheKeywordAndPath(string schema, string keyword, string path)
    {
        var e = Assert.Throws<UnsupportedSchemaException>(() => Schema(schema));
        Assert.Equal(keyword, e.Keyword);
        Assert.Equal(path, e.SchemaPath);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AnnotationsAndUnknownKeywordsAreIgnored()
    {
        In("""{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"T","description":"d","type":"string","format":"date-time","default":"x","examples":["y"],"x-vendor":1,"maxLength":4}""", "\"abcd\"");
        In("""{"allOf":[{"$ref":"#/$defs/a"}],"description":"pydantic style","$defs":{"a":{"type":"boolean"}}}""", "true");
        In("""{"type":"array","uniqueItems":false,"maxItems":1}""", "[1]");
    }
}
