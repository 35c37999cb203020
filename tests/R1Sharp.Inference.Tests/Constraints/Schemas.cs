namespace R1Sharp.Inference.Tests.Constraints;

/// <summary>Schemas covering every supported feature, for generation tests. Bounded ones (every string has maxLength,
/// every array maxItems, recursion bounded) have finite languages: generation must finish within the token limit.</summary>
internal static class Schemas
{
    public static readonly (string Name, string Json, bool Bounded)[] All =
    [
        ("object", """
            {"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,"maximum":130},
             "height":{"type":"number","exclusiveMinimum":0.5,"maximum":2.75},"member":{"type":"boolean"},"note":{"type":"null"},
             "role":{"enum":["admin","user",7,null]}},"required":["name","age","member"],"additionalProperties":false}
            """, true),
        ("arrays", """
            {"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","minLength":1,"maxLength":6},"minItems":1,"maxItems":3},
             "point":{"type":"array","prefixItems":[{"type":"integer","minimum":-5,"maximum":5},{"type":"integer","exclusiveMaximum":-100,"minimum":-120}],"items":false,"minItems":2},
             "grid":{"type":"array","items":{"type":"array","items":{"type":"boolean"},"maxItems":2},"maxItems":2}},
             "required":["tags","point","grid"],"additionalProperties":false}
            """, true),
        ("anyOf", """
            {"type":"object","properties":{"v":{"anyOf":[{"type":"string","maxLength":4},{"type":"integer","minimum":10,"maximum":99},{"type":"null"}]},
             "w":{"type":["number","null"],"minimum":-1,"maximum":1},"c":{"const":{"k":[1,"x"]}}},"required":["v","w","c"],"additionalProperties":false}
            """, true),
        ("oneOf", """
            {"type":"array","maxItems":3,"items":{"oneOf":[{"$ref":"#/$defs/circle"},{"$ref":"#/$defs/square"}]},
             "$defs":{"circle":{"type":"object","properties":{"kind":{"const":"circle"},"r":{"type":"number","minimum":0,"maximum":10}},"required":["kind","r"],"additionalProperties":false},
                      "square":{"type":"object","properties":{"kind":{"const":"square"},"side":{"type":"integer","minimum":1,"maximum":9}},"required":["kind","side"],"additionalProperties":false}}}
            """, true),
        ("recursive", """
            {"$ref":"#/definitions/node","definitions":{"node":{"type":"object","properties":{"id":{"type":"integer","minimum":0,"maximum":999},
             "kids":{"type":"array","items":{"$ref":"#/definitions/node"},"maxItems":2}},"required":["id"],"additionalProperties":false}}}
            """, true),
        ("lengths", """
            {"type":"object","properties":{"code":{"type":"string","minLength":3,"maxLength":3},"word":{"type":"string","minLength":2,"maxLength":5},
             "exact":{"type":"integer","minimum":42,"maximum":42}},"required":["code","word","exact"],"additionalProperties":false}
            """, true),
        ("map", """
            {"type":"object","properties":{"id":{"type":"integer","minimum":1,"maximum":3}},"required":["id"],
             "additionalProperties":{"type":"string","maxLength":3}}
            """, false),
        ("string", """{"type":"string","maxLength":40}""", true),
    ];
}
