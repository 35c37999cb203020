using System.Globalization;
using R1Sharp.Gguf;

namespace R1Sharp.Models;

/// <summary>
/// Reads a model's `{arch}.*` hyperparameters from GGUF metadata and holds each to a sane range, so a corrupt or hostile
/// file fails with one line naming the key instead of allocating from it or computing garbage. The ranges are about ten
/// times what real models use (hidden size up to 16k, 128 heads of up to 256, 126 layers, 256 experts, vocabularies
/// of 262k, contexts of 10M tokens) and only say "this cannot be a model", not "this model is unusual".
/// </summary>
public sealed class Hyperparameters(GgufFile file, string architecture)
{
    public const int MaxWidth = 1 << 16;          // embedding, LoRA ranks
    public const int MaxFeedForward = 1 << 18;
    public const int MaxHeads = 1 << 12;
    public const int MaxHeadDim = 1 << 12;
    public const int MaxLayers = 1 << 12;
    public const int MaxExperts = 1 << 12;
    public const int MaxVocabulary = 1 << 22;
    public const int MaxContext = 1 << 24;

    public GgufFile File => file;
    public string Architecture => architecture;

    /// <summary>An integer `{arch}.{key}` within [min, max]; <paramref name="fallback"/> when absent (else an error).</summary>
    public int Int(string key, int min, int max, int? fallback = null)
    {
        string full = $"{architecture}.{key}";
        if (!file.Has(full)) return fallback ?? throw Missing(key);
        long v = file.GetInteger(full) ?? throw Error(key, $"has type {file.MetadataTypes[full]}, expected an integer");
        if (v < min || v > max) throw Error(key, $"is {v.ToString(CultureInfo.InvariantCulture)}: expected {min:N0} to {max:N0}");
        return (int)v;
    }

    /// <summary>A finite number `{arch}.{key}` above <paramref name="above"/> and at most <paramref name="atMost"/>.</summary>
    public double Float(string key, double above, double atMost, double? fallback = null)
    {
        string full = $"{architecture}.{key}";
        if (!file.Has(full)) return fallback ?? throw Missing(key);
        double v = file.GetFloat(full) ?? throw Error(key, $"has type {file.MetadataTypes[full]}, expected a number");
        if (!double.IsFinite(v) || v <= above || v > atMost)
            throw Error(key, $"is {v.ToString(CultureInfo.InvariantCulture)}: expected a finite number above {above.ToString(CultureInfo.InvariantCulture)}" +
                             (atMost < double.MaxValue ? $" and at most {atMost.ToString(CultureInfo.InvariantCulture)}" : ""));
        return v;
    }

    public bool? Bool(string key) => file.GetBool($"{architecture}.{key}");

    public string? String(string key) => file.GetString($"{architecture}.{key}");

    public ModelFormatException Error(string key, string problem) => new(file.Path, $"metadata key '{architecture}.{key}' {problem}");

    private ModelFormatException Missing(string key) => Error(key, "is missing");

    /// <summary>The number of layers the tensors describe (highest `blk.N.` + 1; 0 without layer tensors).</summary>
    public static int LayersInFile(GgufFile file)
    {
        int layers = 0;
        foreach (var t in file.Tensors)
            if (LayerOf(t.Name) is int n) layers = Math.Max(layers, n + 1);
        return layers;
    }

    /// <summary>N of a tensor named `blk.N.…`, or null.</summary>
    public static int? LayerOf(string tensorName)
    {
        if (!tensorName.StartsWith("blk.", StringComparison.Ordinal)) return null;
        int end = tensorName.IndexOf('.', 4);
        return end > 4 && int.TryParse(tensorName.AsSpan(4, end - 4), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n < MaxLayers ? n : null;
    }

    /// <summary>block_count, which must be the number of layers the tensors hold.</summary>
    public int LayerCount()
    {
        int count = Int(ModelConfig.BlockCountKey, 1, MaxLayers);
        int inFile = LayersInFile(file);
        if (count != inFile)
            throw Error(ModelConfig.BlockCountKey, $"is {count} but the file has tensors for {inFile} layers");
        return count;
    }

    /// <summary>Rows of token_embd.weight (else vocab_size, else the tokenizer's token count); must match the tokenizer.</summary>
    public int VocabularySize()
    {
        int? fromTokens = file.GetStringArray("tokenizer.ggml.tokens")?.Length;
        int vocab;
        if (file.TryGetTensor("token_embd.weight", out var embd))
        {
            if (embd.Dimensions.Length != 2)
                throw new ModelFormatException(file.Path, $"tensor 'token_embd.weight' has shape [{string.Join(", ", embd.Dimensions)}], expected [embedding, vocabulary]");
            if (embd.Dimensions[1] > MaxVocabulary)
                throw new ModelFormatException(file.Path, $"tensor 'token_embd.weight' has {embd.Dimensions[1]:N0} rows: more than {MaxVocabulary:N0} tokens");
            vocab = (int)embd.Dimensions[1];
            if (fromTokens is int n && n > vocab)
                throw new ModelFormatException(file.Path, $"tokenizer.ggml.tokens has {n:N0} tokens but token_embd.weight only {vocab:N0} rows");
        }
        else vocab = file.Has($"{architecture}.{ModelConfig.VocabSizeKey}") ? Int(ModelConfig.VocabSizeKey, 1, MaxVocabulary)
            : fromTokens ?? throw new ModelFormatException(file.Path, "cannot tell the vocabulary size (no token_embd.weight, vocab_size or tokenizer.ggml.tokens)");
        return vocab;
    }
}
