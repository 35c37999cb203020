using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace R1Sharp.Tokenization;

/// <summary>
/// Splits text into words before BPE, exactly as llama.cpp's <c>unicode_regex_split</c> does for a
/// <c>tokenizer.ggml.pre</c> type. A pre-tokenizer is a list of regexes applied in turn: each one splits every piece
/// the previous ones produced, and the text between its matches is kept as pieces of its own.
/// <para>
/// Unicode categories follow llama.cpp's "collapsed" scheme: when a regex uses <c>\p{L}</c>, <c>\p{N}</c>,
/// <c>\p{P}</c>, <c>\p{S}</c> or <c>\p{M}</c>, every non-ASCII code point is replaced by one placeholder per category
/// (whitespace by <c>\v</c>), and each <c>\p{X}</c> becomes [placeholder + llama.cpp's ASCII members of X]. That
/// reproduces llama.cpp's quirks (for example '~' is neither punctuation nor symbol there) and makes every code point,
/// also those beyond the BMP such as emoji, one regex character. Regexes without categories run on the code points
/// themselves, with non-ASCII whitespace as <c>\v</c> (as llama.cpp's std::wregex path does); code points beyond the
/// BMP are mapped to private-use placeholders standing for the ranges the regexes name.
/// </para>
/// </summary>
public sealed class PreTokenizer
{
    // Placeholders of the collapsed text, as in llama.cpp (0xD0 other, 0xD1 number, 0xD2 letter, 0xD3 punctuation,
    // 0xD4 mark, 0xD5 symbol). The collapsed text holds only ASCII and these, so they cannot collide with real text.
    private const char OtherPlaceholder = '\u00D0';
    private const char NumberPlaceholder = '\u00D1';
    private const char LetterPlaceholder = '\u00D2';
    private const char PunctuationPlaceholder = '\u00D3';
    private const char MarkPlaceholder = '\u00D4';
    private const char SymbolPlaceholder = '\u00D5';
    // Wide text: code points that no regex names (beyond the BMP, or private use) become this.
    private const char UnnamedPlaceholder = '\uE0FF';
    private const char FirstRangePlaceholder = '\uE100';

    private const string Gpt2Regex = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
    private const string Llama3Regex = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2Regex = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // llama.cpp llama-vocab.cpp, llm_tokenizer_bpe: regex lists per pre-tokenizer type.
    private static readonly string[] s_default =
    [
        @"[\p{P}\$\+<=>\^~\|]+",
        Gpt2Regex,
        @"\p{N}+",
        "[0-9][0-9][0-9]",
    ];
    private static readonly string[] s_gpt2 = [Gpt2Regex];
    private static readonly string[] s_llama3 = [Llama3Regex];
    private static readonly string[] s_qwen2 = [Qwen2Regex];
    private static readonly string[] s_deepseekLlm =
    [
        "[\r\n]",
        @"\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚ\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213Fⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
        @"\s?[!-/:-~！-／：-～‘-‟　-。]+",
        @"\s+$",
        "[一-龥ࠀ-一가-퟿]+",
        @"\p{N}+",
    ];
    private static readonly string[] s_deepseekCoder =
    [
        "[\r\n]",
        @"\s?\p{L}+",
        @"\s?\p{P}+",
        "[一-龥ࠀ-一가-퟿]+",
        @"\p{N}",
    ];
    private static readonly string[] s_deepseekV3 =
    [
        @"\p{N}{1,3}",
        "[一-龥\u3040-ゟ゠-ヿ]+",
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
    ];

    /// <summary>The <c>tokenizer.ggml.pre</c> names this class knows, mapped to llama.cpp's pre-tokenizer types.</summary>
    public static IReadOnlyList<string> KnownNames { get; } =
    [
        "default", "gpt-2", "phi-2", "llama3", "llama-v3", "llama-bpe", "falcon3", "qwen2", "qwen2.5", "qwen-2.5",
        "deepseek-r1-qwen", "deepseek-llm", "deepseek-coder", "deepseek-v3",
    ];

    private static readonly Dictionary<string, PreTokenizer> s_cache = new(StringComparer.Ordinal);

    private readonly Step[] _steps;
    private readonly (int Lo, int Hi)[] _wideRanges;
    private readonly bool _anyWide;

    private sealed record Step(Regex Regex, bool Collapsed);

    /// <summary>The llama.cpp pre-tokenizer type this instance implements (e.g. "qwen2" for "deepseek-r1-qwen").</summary>
    public string Type { get; }

    /// <summary>The regexes as llama.cpp writes them.</summary>
    public IReadOnlyList<string> Regexes { get; }

    private PreTokenizer(string type, string[] regexes)
    {
        Type = type;
        Regexes = regexes;
        var ranges = new List<(int, int)>();
        _steps = new Step[regexes.Length];
        for (int i = 0; i < regexes.Length; i++)
        {
            bool collapsed = UsesCategories(regexes[i]);
            string pattern = collapsed ? CollapsePattern(regexes[i]) : WidePattern(regexes[i], ranges);
            _steps[i] = new Step(new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant), collapsed);
            _anyWide |= !collapsed;
        }
        _wideRanges = ranges.ToArray();
    }

    /// <summary>The pre-tokenizer for a <c>tokenizer.ggml.pre</c> value. Unknown names are an error (as in llama.cpp),
    /// since a wrong split gives wrong ids silently; a missing value (null or "") means llama.cpp's "default".</summary>
    public static PreTokenizer ForName(string? name)
    {
        string type = (name ?? "") switch
        {
            "" or "default" => "default",
            "gpt-2" or "phi-2" => "gpt-2",
            "llama3" or "llama-v3" or "llama-bpe" or "falcon3" => "llama3",
            "qwen2" or "qwen2.5" or "qwen-2.5" or "deepseek-r1-qwen" => "qwen2",
            "deepseek-llm" => "deepseek-llm",
            "deepseek-coder" => "deepseek-coder",
            "deepseek-v3" => "deepseek-v3",
            _ => throw new NotSupportedException(
                $"unknown pre-tokenizer type {R1Sharp.Gguf.MessageText.Quote(name ?? "")} (tokenizer.ggml.pre); supported: {string.Join(", ", KnownNames)}"),
        };
        lock (s_cache)
        {
            if (!s_cache.TryGetValue(type, out var p))
            {
                p = new PreTokenizer(type, type switch
                {
                    "gpt-2" => s_gpt2,
                    "llama3" => s_llama3,
                    "qwen2" => s_qwen2,
                    "deepseek-llm" => s_deepseekLlm,
                    "deepseek-coder" => s_deepseekCoder,
                    "deepseek-v3" => s_deepseekV3,
                    _ => s_default,
                });
                s_cache[type] = p;
            }
            return p;
        }
    }

    /// <summary>Splits text into pre-tokenizer words (for inspection and tests).</summary>
    public List<string> Split(string text)
    {
        var cps = new List<int>(text.Length);
        var starts = new List<int>(text.Length + 1);
        int i = 0;
        while (i < text.Length)
        {
            starts.Add(i);
            Rune.DecodeFromUtf16(text.AsSpan(i), out Rune r, out int used);
            cps.Add(r.Value);
            i += used;
        }
        starts.Add(text.Length);
        var words = new List<string>();
        int at = 0;
        foreach (int len in Split(cps.ToArray()))
        {
            words.Add(text[starts[at]..starts[at + len]]);
            at += len;
        }
        return words;
    }

    /// <summary>Splits code points into words; returns the word lengths in code points, in order.</summary>
    public List<int> Split(ReadOnlySpan<int> codepoints)
    {
        var offsets = new List<int>();
        if (codepoints.IsEmpty) return offsets;
        offsets.Add(codepoints.Length);
        char[]? collapsed = null, wide = null;
        foreach (var step in _steps)
        {
            char[] text = step.Collapsed ? (collapsed ??= BuildCollapsed(codepoints)) : (wide ??= BuildWide(codepoints));
            var next = new List<int>(offsets.Count * 2 + 8);
            int start = 0;
            foreach (int len in offsets)
            {
                var span = new ReadOnlySpan<char>(text, start, len);
                int prev = 0;
                foreach (var m in step.Regex.EnumerateMatches(span))
                {
                    if (m.Length == 0) continue;
                    if (m.Index > prev) next.Add(m.Index - prev);
                    next.Add(m.Length);
                    prev = m.Index + m.Length;
                }
                if (prev < len) next.Add(len - prev);
                start += len;
            }
            offsets = next;
        }
        return offsets;
    }

    /// <summary>llama.cpp's whitespace set (Unicode White_Space).</summary>
    public static bool IsWhitespace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D => true,
        0x20 or 0x85 or 0xA0 or 0x1680 or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        >= 0x2000 and <= 0x200A => true,
        _ => false,
    };

    private static char CollapsedChar(int cp)
    {
        if (cp < 128) return (char)cp;
        if (IsWhitespace(cp)) return '\v';
        return CharUnicodeInfo.GetUnicodeCategory(cp) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => LetterPlaceholder,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => NumberPlaceholder,
            UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => PunctuationPlaceholder,
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => MarkPlaceholder,
            UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
                or UnicodeCategory.OtherSymbol => SymbolPlaceholder,
            _ => OtherPlaceholder,
        };
    }

    private static char[] BuildCollapsed(ReadOnlySpan<int> cps)
    {
        var t = new char[cps.Length];
        for (int i = 0; i < cps.Length; i++) t[i] = CollapsedChar(cps[i]);
        return t;
    }

    private char[] BuildWide(ReadOnlySpan<int> cps)
    {
        var t = new char[cps.Length];
        for (int i = 0; i < cps.Length; i++)
        {
            int cp = cps[i];
            if (cp < 0x80) t[i] = (char)cp;
            else if (IsWhitespace(cp)) t[i] = '\v';
            else if (cp < 0x10000 && !(cp >= 0xD800 && cp <= 0xDFFF) && !(cp >= 0xE000 && cp <= 0xF8FF)) t[i] = (char)cp;
            else
            {
                t[i] = UnnamedPlaceholder;
                for (int k = 0; k < _wideRanges.Length; k++)
                    if (cp >= _wideRanges[k].Lo && cp <= _wideRanges[k].Hi) { t[i] = (char)(FirstRangePlaceholder + k); break; }
            }
        }
        return t;
    }

    private static readonly string[] s_categoryNames = ["\\p{N}", "\\p{L}", "\\p{P}", "\\p{M}", "\\p{S}", "\\p{Lu}", "\\p{Ll}", "\\p{Lt}", "\\p{Lm}", "\\p{Lo}"];

    private static bool UsesCategories(string regex) => s_categoryNames.Any(c => regex.Contains(c, StringComparison.Ordinal));

    /// <summary>llama.cpp's collapsed form of a regex: each \p{X} becomes [placeholder + ASCII members of X]
    /// (brackets omitted inside a class).</summary>
    private static string CollapsePattern(string regex)
    {
        if (regex.Any(c => c >= 128))
            throw new NotSupportedException("a pre-tokenizer regex mixes unicode categories and non-ASCII characters");
        var sb = new StringBuilder(regex.Length * 2);
        bool inside = false;
        for (int i = 0; i < regex.Length; i++)
        {
            char c = regex[i];
            if (c == '[' && (i == 0 || regex[i - 1] != '\\')) { sb.Append('['); inside = true; continue; }
            if (inside && c == ']' && regex[i - 1] != '\\') { sb.Append(']'); inside = false; continue; }
            if (c == '\\' && i + 3 < regex.Length && regex[i + 1] == 'p' && regex[i + 2] == '{')
            {
                int close = regex.IndexOf('}', i + 3);
                if (close >= 0 && close <= i + 10)
                {
                    string members = regex[i..(close + 1)] switch
                    {
                        "\\p{N}" => NumberPlaceholder + "0-9",
                        "\\p{L}" or "\\p{Lu}" or "\\p{Ll}" or "\\p{Lt}" or "\\p{Lm}" or "\\p{Lo}" => LetterPlaceholder + "A-Za-z",
                        "\\p{P}" => PunctuationPlaceholder + @"!-#%-*,-/:-;?-@\[-\]_\{\}",
                        "\\p{M}" => MarkPlaceholder.ToString(),
                        "\\p{S}" => SymbolPlaceholder + @"\$\+<->^`\|",
                        _ => "",
                    };
                    if (members.Length > 0)
                    {
                        if (!inside) sb.Append('[');
                        sb.Append(members);
                        if (!inside) sb.Append(']');
                        i = close;
                        continue;
                    }
                }
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>A regex without categories, for the wide text: code points beyond the BMP (alone or as ranges in a
    /// class) become private-use placeholders; a final '$' (ECMAScript: end of input) becomes \z.</summary>
    private static string WidePattern(string regex, List<(int Lo, int Hi)> ranges)
    {
        var sb = new StringBuilder(regex.Length);
        var runes = regex.EnumerateRunes().ToArray();
        for (int i = 0; i < runes.Length; i++)
        {
            int cp = runes[i].Value;
            if (cp >= 0x10000)
            {
                int hi = cp;
                if (i + 2 < runes.Length && runes[i + 1].Value == '-' && runes[i + 2].Value >= 0x10000)
                {
                    hi = runes[i + 2].Value;
                    i += 2;
                }
                ranges.Add((cp, hi));
                sb.Append((char)(FirstRangePlaceholder + ranges.Count - 1));
                continue;
            }
            if (cp == '$' && i == runes.Length - 1 && (i == 0 || runes[i - 1].Value != '\\'))
            {
                sb.Append(@"\z");
                continue;
            }
            sb.Append(runes[i].ToString());
        }
        return sb.ToString();
    }
}
