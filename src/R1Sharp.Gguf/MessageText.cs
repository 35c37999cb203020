using System.Text;

namespace R1Sharp.Gguf;

/// <summary>Strings from a file (keys, tensor names, architecture and tokenizer names) as they appear in error
/// messages: on one line and short, whatever bytes a corrupt or hostile file holds.</summary>
public static class MessageText
{
    private const int MaxQuoted = 60;

    /// <summary>'text' with control characters escaped and anything past 60 characters cut (with the full length).</summary>
    public static string Quote(string text)
    {
        string shown = text.Length > MaxQuoted ? text[..MaxQuoted] : text;
        return $"'{OneLine(shown)}'" + (text.Length > MaxQuoted ? $"... ({text.Length:N0} characters)" : "");
    }

    /// <summary>The message with line breaks and other control characters escaped (\n, \x01), so it stays one line.</summary>
    public static string OneLine(string text)
    {
        int i = 0;
        while (i < text.Length && !char.IsControl(text[i])) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length + 8).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsControl(c)) sb.Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else sb.Append($"\\x{(int)c:x2}");
        }
        return sb.ToString();
    }
}
