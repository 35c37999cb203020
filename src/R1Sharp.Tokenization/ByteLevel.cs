namespace R1Sharp.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-unicode mapping ("bytes_to_unicode"): every byte gets a printable character, so a
/// byte-level vocabulary can be stored as strings. Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to
/// themselves; the 68 others map, in byte order, to U+0100, U+0101, ... (so ' ' is 'Ġ' U+0120, '\n' is 'Ċ' U+010A).
/// </summary>
public static class ByteLevel
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly short[] s_charToByte = BuildCharToByte();

    public static char ByteToChar(byte b) => s_byteToChar[b];

    /// <summary>The byte a mapped character stands for, or -1 when the character is not part of the mapping.</summary>
    public static int CharToByte(char c) => c < s_charToByte.Length ? s_charToByte[c] : -1;

    /// <summary>Maps UTF-8 bytes to their byte-level string ("hello world" -> "helloĠworld").</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (span, b) =>
        {
            for (int i = 0; i < b.Length; i++) span[i] = s_byteToChar[b[i]];
        });
    }

    /// <summary>Reverses <see cref="Encode"/>. Characters outside the mapping are kept as their own UTF-8 bytes.</summary>
    public static byte[] Decode(string mapped)
    {
        var result = new List<byte>(mapped.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < mapped.Length; i++)
        {
            int b = CharToByte(mapped[i]);
            if (b >= 0) { result.Add((byte)b); continue; }
            int n;
            if (char.IsHighSurrogate(mapped[i]) && i + 1 < mapped.Length && char.IsLowSurrogate(mapped[i + 1]))
            {
                n = new System.Text.Rune(mapped[i], mapped[i + 1]).EncodeToUtf8(utf8);
                i++;
            }
            else
            {
                n = (System.Text.Rune.TryCreate(mapped[i], out var r) ? r : System.Text.Rune.ReplacementChar).EncodeToUtf8(utf8);
            }
            for (int k = 0; k < n; k++) result.Add(utf8[k]);
        }
        return result.ToArray();
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var assigned = new bool[256];
        for (int b = 0x21; b <= 0x7E; b++) { map[b] = (char)b; assigned[b] = true; }
        for (int b = 0xA1; b <= 0xAC; b++) { map[b] = (char)b; assigned[b] = true; }
        for (int b = 0xAE; b <= 0xFF; b++) { map[b] = (char)b; assigned[b] = true; }
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!assigned[b]) map[b] = (char)(256 + n++);
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var inverse = new short[256 + 68];
        Array.Fill(inverse, (short)-1);
        for (int b = 0; b < 256; b++) inverse[s_byteToChar[b]] = (short)b;
        return inverse;
    }
}
