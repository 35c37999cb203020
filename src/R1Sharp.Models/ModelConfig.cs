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

    /// <summary>Reads the common `{arch}.*` hyperparameters, each held to a sane range and to the tensors (layer count,
    /// vocabulary). Throws <see cref="ModelFormatException"/> naming the key when one is missing, malformed or absurd.</summary>
    public static ModelConfig FromGguf(GgufFile file)
    {
        string arch = file.GetString("general.architecture") ?? throw new ModelFormatException(file.Path, "metadata key 'general.architecture' is missing");
        var h = new Hyperparameters(file, arch);

        int embedding = h.Int("embedding_length", 1, Hyperparameters.MaxWidth);
        int heads = h.Int("attention.head_count", 1, Hyperparameters.MaxHeads);
        int headsKv = h.Int("attention.head_count_kv", 1, heads, heads);
        if (heads % headsKv != 0)
            throw h.Error("attention.head_count_kv", $"is {headsKv}, which does not divide the {heads} attention heads");
        if (!file.Has($"{arch}.attention.key_length") && embedding % heads != 0)
            throw h.Error("attention.head_count", $"is {heads}, which does not divide embedding_length {embedding} (and attention.key_length is absent)");
        int keyLength = h.Int("attention.key_length", 1, Hyperparameters.MaxHeadDim, embedding / heads);
        int valueLength = h.Int("attention.value_length", 1, Hyperparameters.MaxHeadDim, keyLength);
        int ropeDims = h.Int("rope.dimension_count", 2, keyLength, keyLength);
        if (ropeDims % 2 != 0) throw h.Error("rope.dimension_count", $"is {ropeDims}: rotary dimensions come in pairs");

        float freqScale = 1;
        string? scaling = h.String("rope.scaling.type");
        if (scaling is "linear") freqScale = (float)(1 / h.Float("rope.scaling.factor", 0, 1e6, 1));
        else if (file.Has($"{arch}.rope.scale_linear")) freqScale = (float)(1 / h.Float("rope.scale_linear", 0, 1e6));

        return new ModelConfig
        {
            Architecture = arch,
            Name = file.GetString("general.name"),
            VocabSize = h.VocabularySize(),
            ContextLength = h.Int("context_length", 1, Hyperparameters.MaxContext, 4096),
            EmbeddingLength = embedding,
            LayerCount = h.LayerCount(),
            FeedForwardLength = h.Int("feed_forward_length", 1, Hyperparameters.MaxFeedForward),
            HeadCount = heads,
            HeadCountKv = headsKv,
            KeyLength = keyLength,
            ValueLength = valueLength,
            RmsEpsilon = (float)h.Float("attention.layer_norm_rms_epsilon", 1e-12, 1, 1e-5),
            RopeFreqBase = (float)h.Float("rope.freq_base", 1, 1e12, 10000),
            RopeFreqScale = freqScale,
            RopeDimensionCount = ropeDims,
            RopeStyle = RopeStyleFor(arch),
        };
    }
}
