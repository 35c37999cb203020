using System.Text;
using R1Sharp.Gguf;
using R1Sharp.Tokenization;

namespace R1Sharp.Training.Tokenizers;

/// <summary>A special token added after the learned vocabulary.</summary>
public sealed record SpecialToken(string Text, TokenType Type);

/// <summary>Options of <see cref="BpeTrainer"/>.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>Total vocabulary size: 256 byte tokens + learned merges + special tokens.</summary>
    public int VocabSize { get; init; } = 1024;

    /// <summary>The pre-tokenizer that splits the corpus into words (and is written to the GGUF).</summary>
    public string PreTokenizer { get; init; } = "deepseek-r1-qwen";

    /// <summary>Special tokens, in id order after the learned tokens. Default: R1's.</summary>
    public IReadOnlyList<SpecialToken> SpecialTokens { get; init; } = R1SpecialTokens.All;

    /// <summary>Words seen fewer times than this are ignored when counting pairs.</summary>
    public int MinWordCount { get; init; } = 1;
}

/// <summary>The result of training: a byte-level BPE vocabulary ready for <see cref="Tokenizer"/> or a GGUF file.</summary>
public sealed class TrainedBpe
{
    public required string[] Tokens { get; init; }
    public required TokenType[] TokenTypes { get; init; }
    /// <summary>Merge rules "left right" in the order they were learned (rank 0 first).</summary>
    public required string[] Merges { get; init; }
    public required string PreTokenizer { get; init; }
    public int? BosId { get; init; }
    public int? EosId { get; init; }
    /// <summary>Filler tokens (type Unused) added because the corpus had no pairs left to merge.</summary>
    public int UnusedCount { get; init; }

    public Tokenizer ToTokenizer() =>
        new(Tokens, TokenTypes, Merges, PreTokenizer, bosId: BosId, eosId: EosId, addBos: true);

    /// <summary>Writes a metadata-only GGUF with the <c>tokenizer.*</c> keys llama.cpp reads (and R1's chat template).</summary>
    public void WriteGguf(string path, string? chatTemplate = R1ChatTemplate.Source, string name = "r1sharp-bpe")
    {
        var w = new GgufWriter();
        w.Set("general.architecture", "qwen2");
        w.Set("general.name", name);
        w.Set("tokenizer.ggml.model", "gpt2");
        w.Set("tokenizer.ggml.pre", PreTokenizer);
        w.Set("tokenizer.ggml.tokens", Tokens);
        w.Set("tokenizer.ggml.token_type", TokenTypes.Select(t => (int)t).ToArray());
        w.Set("tokenizer.ggml.merges", Merges);
        if (BosId is int bos) w.Set("tokenizer.ggml.bos_token_id", (uint)bos);
        if (EosId is int eos) w.Set("tokenizer.ggml.eos_token_id", (uint)eos);
        w.Set("tokenizer.ggml.add_bos_token", true);
        if (chatTemplate != null) w.Set("tokenizer.chat_template", chatTemplate);
        w.Write(path);
    }
}

/// <summary>
/// Byte-level BPE training: the corpus is split into words by the pre-tokenizer (special-token texts are cut out
/// first), words are counted, and the most frequent adjacent pair of symbols is merged until the vocabulary is full.
/// Ties go to the pair whose left, then right, token id is smallest, so training is deterministic. The vocabulary is
/// the 256 byte tokens in byte order (GPT-2's byte-to-unicode strings), then one token per merge, then the special
/// tokens; when the corpus runs out of pairs, "&lt;｜place▁holder▁no▁N｜&gt;" tokens of type Unused fill it up.
/// </summary>
public sealed class BpeTrainer
{
    private readonly BpeTrainerOptions _options;
    private readonly PreTokenizer _pre;
    private readonly Dictionary<string, long> _wordCounts = new(StringComparer.Ordinal);
    private readonly string[] _specialTexts;

    public BpeTrainer(BpeTrainerOptions? options = null)
    {
        _options = options ?? new BpeTrainerOptions();
        int minimum = 256 + _options.SpecialTokens.Count;
        if (_options.VocabSize < minimum)
            throw new ArgumentException($"vocabulary size {_options.VocabSize} is below the {minimum} byte and special tokens it must hold");
        _pre = PreTokenizer.ForName(_options.PreTokenizer);
        _specialTexts = _options.SpecialTokens.Select(s => s.Text).Where(s => s.Length > 0).OrderByDescending(s => s.Length).ToArray();
    }

    /// <summary>Number of distinct words counted so far.</summary>
    public int DistinctWords => _wordCounts.Count;

    /// <summary>Counts the words of a piece of text (call as often as needed; pieces should end at line breaks).</summary>
    public void AddText(string text)
    {
        foreach (string part in SplitSpecials(text))
            foreach (string word in _pre.Split(part))
                _wordCounts[word] = _wordCounts.GetValueOrDefault(word) + 1;
    }

    /// <summary>Counts a whole corpus file, reading it in blocks that end at line breaks.</summary>
    public void AddFile(string path, IProgress<double>? progress = null)
    {
        using var stream = File.OpenRead(path);
        using var reader = new StreamReader(stream, new UTF8Encoding(false, false));
        long length = Math.Max(1, stream.Length);
        var block = new StringBuilder();
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            block.Append(line).Append('\n');
            if (block.Length >= 1 << 16)
            {
                AddText(block.ToString());
                block.Clear();
                progress?.Report(Math.Min(1.0, (double)stream.Position / length));
            }
        }
        if (block.Length > 0) AddText(block.ToString());
        progress?.Report(1.0);
    }

    private IEnumerable<string> SplitSpecials(string text)
    {
        var parts = new List<string> { text };
        foreach (string s in _specialTexts)
        {
            if (!text.Contains(s, StringComparison.Ordinal)) continue;
            parts = parts.SelectMany(p => p.Split(s)).Where(p => p.Length > 0).ToList();
        }
        return parts;
    }

    /// <summary>Learns the merges. <paramref name="progress"/> gets the fraction of merges done.</summary>
    public TrainedBpe Train(IProgress<double>? progress = null)
    {
        int specials = _options.SpecialTokens.Count;
        int mergeBudget = _options.VocabSize - 256 - specials;

        var tokens = new List<string>(_options.VocabSize);
        for (int b = 0; b < 256; b++) tokens.Add(ByteLevel.ByteToChar((byte)b).ToString());

        // words as symbol (token id) sequences, with counts
        var words = new List<int[]>();
        var lengths = new List<int>();
        var counts = new List<long>();
        foreach (var (word, count) in _wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (count < _options.MinWordCount) continue;
            byte[] bytes = Encoding.UTF8.GetBytes(word);
            if (bytes.Length < 2) continue; // nothing to merge
            words.Add(bytes.Select(b => (int)b).ToArray());
            lengths.Add(bytes.Length);
            counts.Add(count);
        }

        var pairCounts = new Dictionary<long, long>();
        var pairWords = new Dictionary<long, HashSet<int>>();
        void AddPairs(int w, int sign)
        {
            int[] s = words[w];
            for (int i = 0; i + 1 < lengths[w]; i++)
            {
                long key = Key(s[i], s[i + 1]);
                long c = pairCounts.GetValueOrDefault(key) + sign * counts[w];
                if (c == 0) pairCounts.Remove(key); else pairCounts[key] = c;
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(key, out var set)) pairWords[key] = set = [];
                    set.Add(w);
                }
            }
        }
        for (int w = 0; w < words.Count; w++) AddPairs(w, +1);

        var merges = new List<string>(Math.Max(0, mergeBudget));
        while (merges.Count < mergeBudget)
        {
            long best = -1, bestCount = 0;
            foreach (var (key, c) in pairCounts)
                if (c > bestCount || (c == bestCount && key < best)) { best = key; bestCount = c; }
            if (best < 0) break; // corpus exhausted

            int left = (int)(best >> 32), right = (int)(best & 0xFFFFFFFF);
            int merged = tokens.Count;
            tokens.Add(tokens[left] + tokens[right]);
            merges.Add(tokens[left] + " " + tokens[right]);

            foreach (int w in pairWords[best].ToArray())
            {
                AddPairs(w, -1);
                int[] s = words[w];
                int n = lengths[w], o = 0;
                for (int i = 0; i < n; i++)
                {
                    if (i + 1 < n && s[i] == left && s[i + 1] == right) { s[o++] = merged; i++; }
                    else s[o++] = s[i];
                }
                lengths[w] = o;
                AddPairs(w, +1);
            }
            pairWords.Remove(best);
            pairCounts.Remove(best);
            if (merges.Count % 16 == 0) progress?.Report((double)merges.Count / mergeBudget);
        }
        progress?.Report(1.0);

        var types = Enumerable.Repeat(TokenType.Normal, tokens.Count).ToList();
        int unused = 0;
        while (tokens.Count < _options.VocabSize - specials)
        {
            tokens.Add($"<｜place▁holder▁no▁{unused++}｜>");
            types.Add(TokenType.Unused);
        }
        int? bos = null, eos = null;
        foreach (var s in _options.SpecialTokens)
        {
            if (s.Text == R1SpecialTokens.BeginOfSentence) bos = tokens.Count;
            if (s.Text == R1SpecialTokens.EndOfSentence) eos = tokens.Count;
            tokens.Add(s.Text);
            types.Add(s.Type);
        }
        return new TrainedBpe
        {
            Tokens = tokens.ToArray(), TokenTypes = types.ToArray(), Merges = merges.ToArray(),
            PreTokenizer = _options.PreTokenizer, BosId = bos, EosId = eos, UnusedCount = unused,
        };
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}
