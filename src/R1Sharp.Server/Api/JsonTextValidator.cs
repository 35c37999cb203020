using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace R1Sharp.Server.Api;

/// <summary>
/// Finds text in a JSON document that is not Unicode: a string (value or property name) with bytes that are not
/// UTF-8 (a surrogate written as UTF-8 included) or with an escaped surrogate (\uD800-\uDFFF) that is not half of a
/// pair. Such a string would reach .NET as a lone surrogate and fail far downstream (rendering, tokenizing, writing
/// JSON back); checking each request body once, where text leaves JSON, keeps it out of everything after.
/// </summary>
internal static class JsonTextValidator
{
    private struct Frame
    {
        public bool IsArray;
        public int Index;      // arrays: index of the current element
        public string? Name;   // objects: the current property
    }

    /// <summary>The path ("messages[0].content"; "" for the root) of the first string that is not valid text; null
    /// when every string is (or when the JSON is malformed: the deserializer reports that, with its own path).</summary>
    public static string? FindInvalidText(ReadOnlySpan<byte> json, JsonSerializerOptions options)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            AllowTrailingCommas = options.AllowTrailingCommas,
            CommentHandling = options.ReadCommentHandling,
            MaxDepth = options.MaxDepth == 0 ? 64 : options.MaxDepth,
        });
        var stack = new List<Frame>();
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    stack.RemoveAt(stack.Count - 1);
                    continue;
                }
                if (token == JsonTokenType.PropertyName)
                {
                    var top = stack[^1];
                    top.Name = null;
                    stack[^1] = top;
                    if (!IsValidText(ref reader)) return Path(stack);   // the object holding the bad name
                    top.Name = reader.GetString();
                    stack[^1] = top;
                    continue;
                }
                if (stack.Count > 0 && stack[^1].IsArray)
                {
                    var top = stack[^1];
                    top.Index++;
                    stack[^1] = top;
                }
                if (token == JsonTokenType.String && !IsValidText(ref reader)) return Path(stack);
                if (token == JsonTokenType.StartObject) stack.Add(new Frame());
                else if (token == JsonTokenType.StartArray) stack.Add(new Frame { IsArray = true, Index = -1 });
            }
        }
        catch (JsonException)
        {
            return null;
        }
        return null;
    }

    private static string Path(List<Frame> stack)
    {
        var sb = new StringBuilder();
        foreach (var f in stack)
        {
            if (f.IsArray) { if (f.Index >= 0) sb.Append('[').Append(f.Index).Append(']'); }
            else if (f.Name is not null) { if (sb.Length > 0) sb.Append('.'); sb.Append(f.Name); }
        }
        return sb.ToString();
    }

    // The raw bytes between the quotes: runs of UTF-8 separated by escapes (the reader has checked their syntax).
    private static bool IsValidText(ref Utf8JsonReader reader)
    {
        ReadOnlySpan<byte> raw = reader.ValueSpan;
        if (!reader.ValueIsEscaped) return Utf8.IsValid(raw);
        bool highPending = false;
        while (raw.Length > 0)
        {
            int backslash = raw.IndexOf((byte)'\\');
            var run = backslash < 0 ? raw : raw[..backslash];
            if (run.Length > 0 && (highPending || !Utf8.IsValid(run))) return false;
            if (backslash < 0) break;
            raw = raw[backslash..];
            if (raw[1] != (byte)'u')
            {
                if (highPending) return false;
                raw = raw[2..];
                continue;
            }
            int unit = Hex(raw[2]) << 12 | Hex(raw[3]) << 8 | Hex(raw[4]) << 4 | Hex(raw[5]);
            raw = raw[6..];
            bool high = unit is >= 0xD800 and <= 0xDBFF, low = unit is >= 0xDC00 and <= 0xDFFF;
            if (highPending != low) return false;   // a low surrogate must follow a high one, and only then
            highPending = high;
        }
        return !highPending;
    }

    private static int Hex(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
