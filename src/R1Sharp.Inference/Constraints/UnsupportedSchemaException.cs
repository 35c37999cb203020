namespace R1Sharp.Inference.Constraints;

/// <summary>A JSON schema that cannot be compiled to a grammar: an unsupported keyword or feature, a malformed value, or
/// a schema no JSON value satisfies. <see cref="Keyword"/> and <see cref="SchemaPath"/> (a JSON pointer into the schema,
/// "#" for its root) say where; the message is one line meant for an API client (the server answers 400 with it).</summary>
public sealed class UnsupportedSchemaException : Exception
{
    public UnsupportedSchemaException(string keyword, string schemaPath, string reason)
        : base($"{reason} (keyword '{keyword}' at {schemaPath})")
    {
        Keyword = keyword;
        SchemaPath = schemaPath;
        Reason = reason;
    }

    /// <summary>The keyword at fault, e.g. "pattern" (or "$ref", "type", "minimum").</summary>
    public string Keyword { get; }

    /// <summary>Where in the schema, as a JSON pointer fragment: "#/properties/name".</summary>
    public string SchemaPath { get; }

    /// <summary>The message without the location.</summary>
    public string Reason { get; }
}
