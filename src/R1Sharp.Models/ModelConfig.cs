using R1Sharp.Gguf;

namespace R1Sharp.Models;

/// <summary>Hyperparameters of a model, read from GGUF metadata keys `{arch}.*` as llama.cpp writes them.</summary>
public sealed record ModelConfig
{
    public required string Architecture { get; init; }
    public string? Name { get; init; }
    public required int VocabSize { get; init; }
    public required int ContextLength { get; init; }
    public required int EmbeddingLength { get; init; }
    public required int LayerCount { get; init; }
    public required int FeedForwardLength { get; init; }
    public required int HeadCount { get; init; }
    public required int HeadCountKv { get; init; }
    /// <summary>Per-head query/key width (`attention.key_length`, else embedding / heads).</summary>
    public required int KeyLength { get; init; }
    /// <summary>Per-head value width (`attention.value_length`, else <see cref="KeyLength"/>).</summary>
    public required int ValueLength { get; init; }
    public required float RmsEpsilon { get; init; }
    public required float RopeFreqBase { get; init; }
    /// <summary>Position multiplier (1 / linear scaling factor).</summary>
    public float RopeFreqScale { get; init; } = 1;
    /// <summary>Rotated dimensions per head (`rope.dimension_count`, else the key length).</summary>
    public required int RopeDimensionCount { get; init; }
    public required RopeStyle RopeStyle { get; init; }

    /// <summary>Bytes of KV cache per token when keys and values are kept in float32.</summary>
    public long KvBytesPerToken => 4L * LayerCount * HeadCountKv * (KeyLength + ValueLength);

    /// <summary>llama.cpp's rope type per architecture (llama_model_rope_type): NEOX for the qwen family, NORM for llama/deepseek.</summary>
    public static RopeStyle RopeStyleFor(string architecture) => architecture switch
    {
        "qwen2" or "qwen2moe" or "qwen3" or "qwen3moe" or "phi2" or "phi3" or "gptneox" or "stablelm" or "falcon" or "gemma" or "gemma2" or "starcoder2" => RopeStyle.Neox,
        _ => RopeStyle.Normal,
    };

    /// <summary>Reads the common `{arch}.*` hyperparameters. Throws <see cref="ModelFormatException"/> when one is missing or absurd.</summary>
    public static ModelConfig FromGguf(GgufFile file)
    {
        string arch = file.GetString("general.architecture") ?? throw new ModelFormatException(file.Path, "metadata key 'general.architecture' is missing");
        int Int(string key, int? fallback = null)
        {
            long? v = file.GetInteger($"{arch}.{key}");
            if (v is null)
            {
                if (fallback is int f) return f;
                throw new ModelFormatException(file.Path, $"metadata key '{arch}.{key}' is missing");
            }
            if (v <= 0 || v > int.MaxValue) throw new ModelFormatException(file.Path, $"metadata key '{arch}.{key}' has an impossible value {v}");
            return (int)v;
        }
        float Float(string key, float? fallback = null)
        {
            double? v = file.GetFloat($"{arch}.{key}");
            if (v is null)
            {
                if (fallback is float f) return f;
                throw new ModelFormatException(file.Path, $"metadata key '{arch}.{key}' is missing");
            }
            return (float)v;
        }

        int embedding = Int("embedding_length");
        int heads = Int("attention.head_count");
        int headsKv = Int("attention.head_count_kv", heads);
        if (heads % headsKv != 0)
            throw new ModelFormatException(file.Path, $"{heads} attention heads are not a multiple of {headsKv} KV heads");
        int keyLength = Int("attention.key_length", embedding / heads);
        int valueLength = Int("attention.value_length", keyLength);
        int ropeDims = Int("rope.dimension_count", keyLength);
        if (ropeDims > keyLength || ropeDims % 2 != 0)
            throw new ModelFormatException(file.Path, $"rope.dimension_count {ropeDims} does not fit a head of {keyLength}");

        int vocab;
        if (file.TryGetTensor("token_embd.weight", out var embd) && embd.Dimensions.Length == 2) vocab = (int)embd.Dimensions[1];
        else if (file.GetInteger($"{arch}.vocab_size") is long vs) vocab = (int)vs;
        else vocab = file.GetStringArray("tokenizer.ggml.tokens")?.Length ?? throw new ModelFormatException(file.Path, "cannot tell the vocabulary size (no token_embd.weight, vocab_size or tokenizer.ggml.tokens)");

        float freqScale = 1;
        string? scaling = file.GetString($"{arch}.rope.scaling.type");
        if (scaling is "linear")
        {
            float factor = Float("rope.scaling.factor", 1);
            if (factor > 0) freqScale = 1 / factor;
        }
        else if (file.GetFloat($"{arch}.rope.scale_linear") is double lin && lin > 0) freqScale = (float)(1 / lin);

        return new ModelConfig
        {
            Architecture = arch,
            Name = file.GetString("general.name"),
            VocabSize = vocab,
            ContextLength = Int("context_length", 4096),
            EmbeddingLength = embedding,
            LayerCount = Int("block_count"),
            FeedForwardLength = Int("feed_forward_length"),
            HeadCount = heads,
            HeadCountKv = headsKv,
            KeyLength = keyLength,
            ValueLength = valueLength,
            RmsEpsilon = Float("attention.layer_norm_rms_epsilon", 1e-5f),
            RopeFreqBase = Float("rope.freq_base", 10000f),
            RopeFreqScale = freqScale,
            RopeDimensionCount = ropeDims,
            RopeStyle = RopeStyleFor(arch),
        };
    }
}
