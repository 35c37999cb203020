using System.Text;
using System.Text.Json;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Inference.Constraints;

/// <summary>The one JSON text generated for a literal (enum/const value, property name): compact, strings with only
/// the escapes JSON requires (quote, backslash, control characters) and other characters as raw UTF-8 (as Python's
/// json.dumps writes them), numbers as written in the schema. And a canonical key per value for equality as JSON Schema defines it (1 equals 1.0).</summary>
internal static class JsonLiteral
{
    public static byte[] Encode(JsonElement value)
    {
        var sb = new StringBuilder();
        Write(sb, value);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static byte[] EncodeString(string value)
    {
        var sb = new StringBuilder();
        WriteString(sb, value);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static void Write(StringBuilder sb, JsonElement v)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.String: WriteString(sb, v.GetString()!); break;
            case JsonValueKind.Number: sb.Append(v.GetRawText()); break;
            case JsonValueKind.True: sb.Append("true"); break;
            case JsonValueKind.False: sb.Append("false"); break;
            case JsonValueKind.Null: sb.Append("null"); break;
            case JsonValueKind.Array:
                sb.Append('[');
                bool first = true;
                foreach (var item in v.EnumerateArray())
                {
                    if (!first) sb.Append(',');
                    first = false;
                    Write(sb, item);
                }
                sb.Append(']');
                break;
            case JsonValueKind.Object:
                sb.Append('{');
                bool firstMember = true;
                foreach (var p in v.EnumerateObject())
                {
                    if (!firstMember) sb.Append(',');
                    firstMember = false;
                    WriteString(sb, p.Name);
                    sb.Append(':');
                    Write(sb, p.Value);
                }
                sb.Append('}');
                break;
            default:
                throw new ArgumentException($"not a JSON value: {v.ValueKind}", nameof(v));
        }
    }

    private static readonly UTF8Encoding s_strictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>Python's json.dumps of a string (the chat templates' tojson): the same escapes.</summary>
    private static void WriteString(StringBuilder sb, string s)
    {
        try
        {
            s_strictUtf8.GetByteCount(s);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException("a string with an unpaired surrogate cannot be written as UTF-8");
        }
        sb.Append(JinjaJson.Dumps(s));
    }

    /// <summary>Equal for values JSON Schema's enum/const consider equal: numbers by value, objects regardless of
    /// member order.</summary>
    public static string CanonicalKey(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => "s" + JsonSerializer.Serialize(v.GetString()),
        JsonValueKind.Number => "n" + ExactDecimal.Parse(v.GetRawText()),
        JsonValueKind.True => "t",
        JsonValueKind.False => "f",
        JsonValueKind.Null => "z",
        JsonValueKind.Array => "[" + string.Join(",", v.EnumerateArray().Select(CanonicalKey)) + "]",
        JsonValueKind.Object => "{" + string.Join(",", v.EnumerateObject()
            .Select(p => JsonSerializer.Serialize(p.Name) + ":" + CanonicalKey(p.Value)).Order(StringComparer.Ordinal)) + "}",
        _ => "?",
    };
}
