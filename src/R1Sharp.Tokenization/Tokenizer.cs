using System.Collections.Concurrent;
using System.Text;
using R1Sharp.Gguf;

namespace R1Sharp.Tokenization;

/// <summary>
/// Byte-level BPE tokenizer (GGUF <c>tokenizer.ggml.model = gpt2</c>) that gives the ids llama.cpp gives:
/// special tokens are split out first (user-defined tokens always, control tokens when <c>parseSpecial</c>), the rest
/// is pre-tokenized by <see cref="PreTokenizer"/>, each word's UTF-8 bytes are mapped by <see cref="ByteLevel"/> and
/// merged pair by pair, lowest merge rank first (leftmost among equal ranks), as llama.cpp's llm_tokenizer_bpe does.
/// Thread-safe; words are cached.
/// </summary>
public sealed class Tokenizer
{
    private const int MaxCacheEntries = 1 << 18;
    private const int MaxCachedWordLength = 64; // longer words are rare and would let the cache grow without bound

    private readonly string[] _tokens;
    private readonly TokenType[] _types;
    private readonly byte[][] _bytes;
    private readonly Dictionary<string, int> _tokenToId;
    // BPE works on "pieces": every vocabulary string plus merge parts/results missing from the vocabulary
    // (ids >= VocabSize; those never reach the output, as in llama.cpp they fall back to single-byte lookups).
    private readonly List<string> _extraPieces = [];
    private readonly Dictionary<string, int> _extraPieceIds = new(StringComparer.Ordinal);
    private readonly Dictionary<long, (int Rank, int Result)> _merges = new(PairKeyComparer.Instance);
    private readonly int[] _bytePiece = new int[256];
    private readonly int[] _specialIds;
    private readonly bool _ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    public int VocabSize => _tokens.Length;
    /// <summary>The longest token in UTF-8 bytes: a text of n bytes needs at least n / MaxTokenBytes tokens.</summary>
    public int MaxTokenBytes { get; }
    public int? BosId { get; }
    public int? EosId { get; }
    public int? EotId { get; }
    public int? PadId { get; }
    /// <summary><c>tokenizer.ggml.add_bos_token</c> (default: true for llama3 pre-tokenizers, else false, as in llama.cpp).</summary>
    public bool AddBos { get; }
    /// <summary>Tokens that end generation: eos, eot, eom and the end-of-turn texts llama.cpp recognizes.</summary>
    public IReadOnlySet<int> EndOfGenerationIds { get; }
    public PreTokenizer PreTokenizer { get; }
    /// <summary>The <c>tokenizer.ggml.pre</c> value ("" when absent).</summary>
    public string PreTokenizerName { get; }
    /// <summary>Non-fatal remarks made while loading (e.g. a missing pre-tokenizer type).</summary>
    public IReadOnlyList<string> Warnings { get; }

    // llama.cpp (llama-vocab.cpp) treats these texts as end-of-generation and forces them to CONTROL.
    private static readonly string[] s_endOfGenerationTexts =
    [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>",
        "<|end_of_text|>", "<｜end▁of▁sentence｜>",
    ];

    /// <summary>Builds a tokenizer from vocabulary data (what a GGUF file holds).</summary>
    /// <param name="tokens">vocabulary strings (byte-level mapped for normal tokens, plain text for special ones)</param>
    /// <param name="types">token types, or null for all normal</param>
    /// <param name="merges">merge rules "left right", highest priority first</param>
    /// <param name="preTokenizer">a <c>tokenizer.ggml.pre</c> value</param>
    /// <param name="bosId">beginning-of-sequence token id, if any</param>
    /// <param name="eosId">end-of-sequence token id, if any</param>
    /// <param name="eotId">end-of-turn token id, if any</param>
    /// <param name="eomId">end-of-message token id, if any</param>
    /// <param name="padId">padding token id, if any</param>
    /// <param name="addBos">whether encoding a prompt adds BOS (null: only with the llama3 pre-tokenizer)</param>
    public Tokenizer(string[] tokens, TokenType[]? types, string[] merges, string? preTokenizer,
        int? bosId = null, int? eosId = null, int? eotId = null, int? eomId = null, int? padId = null, bool? addBos = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(merges);
        if (tokens.Length == 0) throw new ArgumentException("the vocabulary is empty", nameof(tokens));
        if (types != null && types.Length != tokens.Length)
            throw new ArgumentException($"{types.Length} token types for {tokens.Length} tokens", nameof(types));
        var warnings = new List<string>();
        _tokens = tokens;
        _types = types != null ? (TokenType[])types.Clone() : Enumerable.Repeat(TokenType.Normal, tokens.Length).ToArray();
        PreTokenizerName = preTokenizer ?? "";
        if (string.IsNullOrEmpty(preTokenizer))
            warnings.Add("tokenizer.ggml.pre is missing: using llama.cpp's 'default' pre-tokenizer");
        PreTokenizer = PreTokenizer.ForName(preTokenizer);
        _ignoreMerges = PreTokenizer.Type == "llama3";
        AddBos = addBos ?? PreTokenizer.Type == "llama3";

        _tokenToId = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) _tokenToId[tokens[i]] = i; // last one wins, as in llama.cpp

        int? Valid(int? id, string what)
        {
            if (id is int v && (v < 0 || v >= tokens.Length))
            {
                warnings.Add($"{what} id {v} is outside the vocabulary of {tokens.Length}: ignored");
                return null;
            }
            return id;
        }
        BosId = Valid(bosId, "bos");
        EosId = Valid(eosId, "eos");
        EotId = Valid(eotId, "eot");
        PadId = Valid(padId, "padding");
        int? eom = Valid(eomId, "eom");

        var eog = new HashSet<int>();
        foreach (string t in s_endOfGenerationTexts)
            if (_tokenToId.TryGetValue(t, out int id))
            {
                eog.Add(id);
                _types[id] = TokenType.Control;
            }
        if (EosId is int e) eog.Add(e);
        if (EotId is int et) eog.Add(et);
        if (eom is int em) eog.Add(em);
        EndOfGenerationIds = eog;

        _bytes = new byte[tokens.Length][];
        for (int i = 0; i < tokens.Length; i++)
            _bytes[i] = _types[i] switch
            {
                TokenType.Normal => ByteLevel.Decode(tokens[i]),
                TokenType.Control or TokenType.Unknown or TokenType.UserDefined => Encoding.UTF8.GetBytes(tokens[i]),
                _ => [], // byte/unused/undefined tokens print nothing in a BPE vocabulary (llama.cpp)
            };
        MaxTokenBytes = Math.Max(1, _bytes.Max(b => b.Length));

        // Merge ranks: the first occurrence of a pair wins (std::unordered_map::emplace).
        for (int rank = 0; rank < merges.Length; rank++)
        {
            string m = merges[rank];
            int sp = m.Length > 1 ? m.IndexOf(' ', 1) : -1;
            if (sp < 0) continue;
            string left = m[..sp], right = m[(sp + 1)..];
            if (left.Length == 0 || right.Length == 0) continue;
            long key = PairKey(Piece(left), Piece(right));
            _merges.TryAdd(key, (rank, Piece(left + right)));
        }
        for (int b = 0; b < 256; b++) _bytePiece[b] = Piece(ByteLevel.ByteToChar((byte)b).ToString());

        // Special tokens, longest text first (llama.cpp's cache_special_tokens; ties by id).
        _specialIds = Enumerable.Range(0, tokens.Length)
            .Where(i => _types[i] is TokenType.Control or TokenType.UserDefined or TokenType.Unknown && tokens[i].Length > 0)
            .OrderByDescending(i => Encoding.UTF8.GetByteCount(tokens[i])).ThenBy(i => i).ToArray();
        Warnings = warnings;
    }

    /// <summary>Loads the tokenizer of a GGUF file (<c>tokenizer.ggml.*</c> metadata).</summary>
    public static Tokenizer FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string model = file.GetString("tokenizer.ggml.model")
            ?? throw new GgufFormatException(file.Path, "no tokenizer (metadata key 'tokenizer.ggml.model' is missing)");
        if (model != "gpt2")
            throw new GgufFormatException(file.Path, $"tokenizer model {MessageText.Quote(model)} is not supported (only byte-level BPE, 'gpt2')");
        string[] tokens = file.GetStringArray("tokenizer.ggml.tokens")
            ?? throw new GgufFormatException(file.Path, "metadata key 'tokenizer.ggml.tokens' is missing or not a string array");
        if (tokens.Length == 0) throw new GgufFormatException(file.Path, "tokenizer.ggml.tokens is empty");
        string[] merges = file.GetStringArray("tokenizer.ggml.merges")
            ?? throw new GgufFormatException(file.Path, "metadata key 'tokenizer.ggml.merges' is missing or not a string array");
        TokenType[]? types = null;
        if (file.Has("tokenizer.ggml.token_type"))
        {
            var ta = file.GetArray("tokenizer.ggml.token_type");
            if (ta == null || ta.Items is not (int[] or uint[] or short[] or ushort[] or sbyte[] or byte[] or long[] or ulong[]))
                throw new GgufFormatException(file.Path, "tokenizer.ggml.token_type is not an array of integers");
            if (ta.Count != tokens.Length)
                throw new GgufFormatException(file.Path, $"tokenizer.ggml.token_type has {ta.Count} entries for {tokens.Length} tokens");
            types = new TokenType[ta.Count];
            for (int i = 0; i < ta.Count; i++)
            {
                var raw = ta.Items.GetValue(i)!;
                long type = raw is ulong u ? (long)Math.Min(u, long.MaxValue) : Convert.ToInt64(raw, System.Globalization.CultureInfo.InvariantCulture);
                if (type is < (long)TokenType.Undefined or > (long)TokenType.Byte)
                    throw new GgufFormatException(file.Path, $"tokenizer.ggml.token_type[{i}] is {type} (token types are 0 to 6)");
                types[i] = (TokenType)type;
            }
        }
        int? Id(string key) => file.GetInteger(key) is long v && v >= 0 && v <= int.MaxValue ? (int)v : null;
        try
        {
            return new Tokenizer(tokens, types, merges, file.GetString("tokenizer.ggml.pre"),
                Id("tokenizer.ggml.bos_token_id"), Id("tokenizer.ggml.eos_token_id"), Id("tokenizer.ggml.eot_token_id"),
                Id("tokenizer.ggml.eom_token_id"), Id("tokenizer.ggml.padding_token_id"), file.GetBool("tokenizer.ggml.add_bos_token"));
        }
        catch (NotSupportedException e)
        {
            throw new GgufFormatException(file.Path, e.Message, e);
        }
    }

    /// <summary>Opens a GGUF file and loads its tokenizer.</summary>
    public static Tokenizer FromGguf(string path)
    {
        using var f = GgufFile.Open(path);
        return FromGguf(f);
    }

    public TokenType GetTokenType(int id) => _types[CheckId(id)];

    /// <summary>Control or unknown tokens (what <c>skipSpecial</c> drops).</summary>
    public bool IsSpecial(int id) => _types[CheckId(id)] is TokenType.Control or TokenType.Unknown;

    /// <summary>The UTF-8 bytes this token stands for (a control token's own text).</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => _bytes[CheckId(id)];

    /// <summary>The raw vocabulary string.</summary>
    public string TokenText(int id) => _tokens[CheckId(id)];

    /// <summary>The id of an exact vocabulary entry, e.g. "&lt;think&gt;" or "Ġthe".</summary>
    public int? FindToken(string text) => _tokenToId.TryGetValue(text, out int id) ? id : null;

    private int CheckId(int id) =>
        (uint)id < (uint)_tokens.Length ? id : throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary of {_tokens.Length}");

    /// <summary>Text to token ids. <paramref name="addBos"/> prepends BOS (when the vocabulary has one);
    /// <paramref name="parseSpecial"/> lets control tokens written in the text become their ids (user-defined tokens
    /// such as &lt;think&gt; always do, as in llama.cpp).</summary>
    public int[] Encode(string text, bool addBos = false, bool parseSpecial = false) =>
        EncodeAtMost(text, int.MaxValue, addBos, parseSpecial)!;

    /// <summary>As <see cref="Encode"/>, but null as soon as the text needs more than <paramref name="maxTokens"/>
    /// tokens. Every token covers at most <see cref="MaxTokenBytes"/> bytes, so a text (or word) whose UTF-8 length
    /// alone proves it too long is refused before it is tokenized: a huge prompt costs no more than maxTokens' worth
    /// of work. (For a vocabulary that covers every byte, as byte-level BPE vocabularies do.)</summary>
    public int[]? EncodeAtMost(string text, int maxTokens, bool addBos = false, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        int bosCount = addBos && BosId is not null ? 1 : 0;
        if (bosCount + MinTokens(Encoding.UTF8.GetByteCount(text)) > maxTokens) return null;
        var output = new List<int>((int)Math.Min(text.Length / 3 + 4L, maxTokens + 1L));
        if (addBos && BosId is int bos) output.Add(bos);
        foreach (var (id, start, length) in Partition(text, parseSpecial))
        {
            if (id >= 0) output.Add(id);
            else if (!EncodeText(text.AsSpan(start, length), output, maxTokens)) return null;
            if (output.Count > maxTokens) return null;
        }
        return output.ToArray();
    }

    private long MinTokens(long bytes) => (bytes + MaxTokenBytes - 1) / MaxTokenBytes;

    /// <summary>Token ids to text; bytes that are not valid UTF-8 become U+FFFD.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecial = false)
    {
        int total = 0;
        foreach (int id in ids) total += _bytes[CheckId(id)].Length;
        byte[] buffer = new byte[total];
        int at = 0;
        foreach (int id in ids)
        {
            if (skipSpecial && IsSpecial(id)) continue;
            _bytes[id].CopyTo(buffer, at);
            at += _bytes[id].Length;
        }
        return Encoding.UTF8.GetString(buffer, 0, at);
    }

    /// <summary>llama.cpp's tokenizer_st_partition: splits special-token texts out of the text, longest first.</summary>
    private List<(int Id, int Start, int Length)> Partition(string text, bool parseSpecial)
    {
        var fragments = new List<(int Id, int Start, int Length)>();
        if (text.Length > 0) fragments.Add((-1, 0, text.Length));
        foreach (int sid in _specialIds)
        {
            if (!parseSpecial && _types[sid] is TokenType.Control or TokenType.Unknown) continue;
            string s = _tokens[sid];
            if (!text.Contains(s, StringComparison.Ordinal)) continue;
            var next = new List<(int, int, int)>(fragments.Count + 4);
            foreach (var f in fragments)
            {
                if (f.Id >= 0) { next.Add(f); continue; }
                int pos = f.Start, end = f.Start + f.Length;
                while (pos < end)
                {
                    int m = text.IndexOf(s, pos, end - pos, StringComparison.Ordinal);
                    if (m < 0) break;
                    if (m > pos) next.Add((-1, pos, m - pos));
                    next.Add((sid, m, s.Length));
                    pos = m + s.Length;
                }
                if (pos < end) next.Add((-1, pos, end - pos));
            }
            fragments = next;
        }
        return fragments;
    }

    // False (output incomplete) once the output would exceed maxTokens.
    private bool EncodeText(ReadOnlySpan<char> text, List<int> output, int maxTokens)
    {
        var cps = new int[text.Length];
        int n = 0;
        for (int i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text[i..], out Rune r, out int used); // invalid UTF-16 -> U+FFFD
            cps[n++] = r.Value;
            i += used;
        }
        var span = new ReadOnlySpan<int>(cps, 0, n);
        Span<byte> utf8 = stackalloc byte[4];
        var sb = new StringBuilder();
        int at = 0;
        int[]? ids;
        foreach (int len in PreTokenizer.Split(span))
        {
            if (output.Count + MinTokens(len) > maxTokens) return false;   // at least one byte per code point
            sb.Clear();
            for (int k = at; k < at + len; k++)
            {
                int bytes = new Rune(cps[k]).EncodeToUtf8(utf8);
                for (int j = 0; j < bytes; j++) sb.Append(ByteLevel.ByteToChar(utf8[j]));
            }
            at += len;
            string word = sb.ToString();
            if (word.Length > MaxCachedWordLength) ids = EncodeWord(word);
            else if (!_cache.TryGetValue(word, out ids))
            {
                ids = EncodeWord(word);
                if (_cache.Count >= MaxCacheEntries) _cache.Clear();
                _cache.TryAdd(word, ids);
            }
            output.AddRange(ids);
            if (output.Count > maxTokens) return false;
        }
        return true;
    }

    /// <summary>BPE on one byte-level word (llm_tokenizer_bpe_session::tokenize).</summary>
    private int[] EncodeWord(string word)
    {
        if (_ignoreMerges && _tokenToId.TryGetValue(word, out int whole)) return [whole];
        int n = word.Length;
        var piece = new int[n];
        var prev = new int[n];
        var next = new int[n];
        for (int i = 0; i < n; i++)
        {
            piece[i] = _bytePiece[ByteLevel.CharToByte(word[i])];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        if (n > 1)
        {
            // priority: rank, then the left symbol's index (llm_bigram_bpe::comparator)
            var queue = new PriorityQueue<(int Left, int Right, int LeftPiece, int RightPiece), long>();
            void AddBigram(int left, int right)
            {
                if (left < 0 || right < 0) return;
                if (_merges.TryGetValue(PairKey(piece[left], piece[right]), out var m))
                    queue.Enqueue((left, right, piece[left], piece[right]), ((long)m.Rank << 32) | (uint)left);
            }
            for (int i = 1; i < n; i++) AddBigram(i - 1, i);
            while (queue.TryDequeue(out var b, out _))
            {
                if (piece[b.Left] != b.LeftPiece || piece[b.Right] != b.RightPiece || next[b.Left] != b.Right) continue;
                piece[b.Left] = _merges[PairKey(b.LeftPiece, b.RightPiece)].Result;
                piece[b.Right] = -1; // dead
                next[b.Left] = next[b.Right];
                if (next[b.Right] >= 0) prev[next[b.Right]] = b.Left;
                AddBigram(prev[b.Left], b.Left);
                AddBigram(b.Left, next[b.Left]);
            }
        }
        var ids = new List<int>(n);
        for (int i = 0; i >= 0; i = next[i])
        {
            int p = piece[i];
            if (p < _tokens.Length) { ids.Add(p); continue; }
            // not a vocabulary entry: llama.cpp looks each byte of the piece's text up as a one-byte token
            foreach (char c in _extraPieces[p - _tokens.Length])
                if (c < 0x80 && _tokenToId.TryGetValue(c.ToString(), out int id)) ids.Add(id);
        }
        return ids.ToArray();
    }

    private int Piece(string text)
    {
        if (_tokenToId.TryGetValue(text, out int id) || _extraPieceIds.TryGetValue(text, out id)) return id;
        int extra = _tokens.Length + _extraPieces.Count;
        _extraPieces.Add(text);
        _extraPieceIds.Add(text, extra);
        return extra;
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Hashes a pair key with a multiplicative mix: long's own hash (high ^ low) sends every (a, a) pair and
    /// every (a, b)/(b, a) to the same bucket, which made a run of one repeated character cost ~60 µs per character.</summary>
    private sealed class PairKeyComparer : IEqualityComparer<long>
    {
        public static readonly PairKeyComparer Instance = new();
        public bool Equals(long x, long y) => x == y;
        public int GetHashCode(long key) => (int)((ulong)key * 0x9E3779B97F4A7C15UL >> 32);
    }
}
