using System.Text;

namespace R1Sharp.Fuzz;

/// <summary>Random text that stresses tokenizers and parsers: every script class, whitespace of all kinds, emoji
/// (surrogate pairs), combining marks, lone surrogates, control characters, the R1 special tokens, long runs.</summary>
public static class TextGenerator
{
    private static readonly string[] s_pieces =
    [
        "a", "Z", "the", " ", "  ", "\t", "\n", "\r\n", "\u00A0", "\u3000", "\u2028", "0", "123", "3.14", "'s", "'LL", "!", "?", ".", ",",
        "é", "ß", "ñ", "e\u0301", "中", "文", "한", "ア", "ع", "ह\u094D", "😀", "🦙", "👩‍👩‍👧", "🇯🇵", "𝔽", "\u0000", "\u001F", "\u007F",
        "\uD800", "\uDFFF", "\uFFFD", "\uFEFF", "<think>", "</think>", "<｜User｜>", "<｜Assistant｜>", "<｜begin▁of▁sentence｜>",
        "<｜end▁of▁sentence｜>", "<|im_end|>", "<|endoftext|>", "Ġ", "Ċ", "<", ">", "{", "}", "%", "#", "\\", "\"",
    ];

    /// <summary>About <paramref name="length"/> UTF-16 chars made of random pieces, sometimes one piece repeated.</summary>
    public static string Text(Random rng, int length)
    {
        var sb = new StringBuilder(length + 8);
        if (rng.Next(8) == 0)
        {
            string piece = s_pieces[rng.Next(s_pieces.Length)];
            while (sb.Length < length) sb.Append(piece);
            return sb.ToString();
        }
        while (sb.Length < length)
        {
            switch (rng.Next(6))
            {
                case 0: sb.Append((char)rng.Next(0x20, 0x7F)); break;
                case 1: sb.Append((char)rng.Next(0xA0, 0xD800)); break;
                case 2:
                    if (rng.Next(2) == 0) sb.Append(char.ConvertFromUtf32(rng.Next(0x10000, 0x110000)));
                    else sb.Append((char)rng.Next(0xE000, 0x10000));
                    break;
                default: sb.Append(s_pieces[rng.Next(s_pieces.Length)]); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>What decoding the UTF-8 of <paramref name="text"/> gives back: lone surrogates become U+FFFD.</summary>
    public static string Utf8RoundTrip(string text) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));
}
