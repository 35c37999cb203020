using R1Sharp.Gguf;

namespace R1Sharp.Models;

/// <summary>
/// Hyperparameters of a model, the one configuration type of inference and training: read from GGUF metadata keys
/// `{arch}.*` as llama.cpp writes them (<see cref="FromGguf"/>) and written back under the same keys
/// (<see cref="Metadata"/>: training checkpoints and exports), each key named once below.
/// </summary>
public sealed record ModelConfig
{
    // The `{arch}.*` metadata keys (llama.cpp names), read here and by Hyperparameters, written by Metadata.
    internal const string ContextLengthKey = "context_length", EmbeddingLengthKey = "embedding_length", BlockCountKey = "block_count",
        FeedForwardLengthKey = "feed_forward_length", HeadCountKey = "attention.head_count", HeadCountKvKey = "attention.head_count_kv",
        KeyLengthKey = "attention.key_length", ValueLengthKey = "attention.value_length", RmsEpsilonKey = "attention.layer_norm_rms_epsilon",
        RopeFreqBaseKey = "rope.freq_base", RopeDimensionCountKey = "rope.dimension_count", VocabSizeKey = "vocab_size",
        RopeScalingTypeKey = "rope.scaling.type", RopeScalingFactorKey = "rope.scaling.factor", RopeScaleLinearKey = "rope.scale_linear";

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
    /// <summary>The Q/K/V projections have biases (`blk.N.attn_q.bias`: qwen2).</summary>
    public bool QkvBias { get; init; }
    /// <summary>The output projection reuses the token embedding (no `output.weight`).</summary>
    public bool TiedOutput { get; init; }

    /// <summary>Width of all query heads together.</summary>
    public int QueryDim => HeadCount * KeyLength;
    /// <summary>Width of all key heads together (the value heads are <see cref="HeadCountKv"/> x <see cref="ValueLength"/>).</summary>
    public int KeyDim => HeadCountKv * KeyLength;

    /// <summary>A dense (qwen2/llama layout) configuration: heads of embedding / heads, fully rotated, the architecture's
    /// rope style. What `r1 train sft --config` builds, and tests.</summary>
    public static ModelConfig Dense(string architecture, int vocabSize, int embeddingLength, int layerCount, int headCount,
        int headCountKv, int feedForwardLength, int contextLength, bool qkvBias = false, bool tiedOutput = false,
        float rmsEpsilon = 1e-6f, float ropeFreqBase = 10000f, string? name = null)
    {
        int head = headCount > 0 ? embeddingLength / headCount : 0;
        return new ModelConfig
        {
            Architecture = architecture, Name = name, VocabSize = vocabSize, ContextLength = contextLength,
            EmbeddingLength = embeddingLength, LayerCount = layerCount, FeedForwardLength = feedForwardLength,
            HeadCount = headCount, HeadCountKv = headCountKv, KeyLength = head, ValueLength = head,
            RmsEpsilon = rmsEpsilon, RopeFreqBase = ropeFreqBase, RopeDimensionCount = head,
            RopeStyle = RopeStyleFor(architecture), QkvBias = qkvBias, TiedOutput = tiedOutput,
        };
    }

    /// <summary>The GGUF metadata of this configuration (general.architecture, general.name when set, the `{arch}.*`
    /// keys <see cref="FromGguf"/> reads; key/value lengths only where they differ from embedding / heads).</summary>
    public IEnumerable<(string Key, GgufValueType Type, object Value)> Metadata()
    {
        string a = Architecture + ".";
        yield return ("general.architecture", GgufValueType.String, Architecture);
        if (Name is { } name) yield return ("general.name", GgufValueType.String, name);
        yield return (a + ContextLengthKey, GgufValueType.UInt32, (uint)ContextLength);
        yield return (a + EmbeddingLengthKey, GgufValueType.UInt32, (uint)EmbeddingLength);
        yield return (a + BlockCountKey, GgufValueType.UInt32, (uint)LayerCount);
        yield return (a + FeedForwardLengthKey, GgufValueType.UInt32, (uint)FeedForwardLength);
        yield return (a + HeadCountKey, GgufValueType.UInt32, (uint)HeadCount);
        yield return (a + HeadCountKvKey, GgufValueType.UInt32, (uint)HeadCountKv);
        if (KeyLength != EmbeddingLength / HeadCount) yield return (a + KeyLengthKey, GgufValueType.UInt32, (uint)KeyLength);
        if (ValueLength != KeyLength) yield return (a + ValueLengthKey, GgufValueType.UInt32, (uint)ValueLength);
        yield return (a + RopeFreqBaseKey, GgufValueType.Float32, RopeFreqBase);
        if (RopeFreqScale != 1)
        {
            yield return (a + RopeScalingTypeKey, GgufValueType.String, "linear");
            yield return (a + RopeScalingFactorKey, GgufValueType.Float32, 1 / RopeFreqScale);
        }
        yield return (a + RmsEpsilonKey, GgufValueType.Float32, RmsEpsilon);
        yield return (a + RopeDimensionCountKey, GgufValueType.UInt32, (uint)RopeDimensionCount);
        yield return (a + VocabSizeKey, GgufValueType.UInt32, (uint)VocabSize);
    }

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

        int embedding = h.Int(EmbeddingLengthKey, 1, Hyperparameters.MaxWidth);
        int heads = h.Int(HeadCountKey, 1, Hyperparameters.MaxHeads);
        int headsKv = h.Int(HeadCountKvKey, 1, heads, heads);
        if (heads % headsKv != 0)
            throw h.Error(HeadCountKvKey, $"is {headsKv}, which does not divide the {heads} attention heads");
        if (!file.Has($"{arch}.{KeyLengthKey}") && embedding % heads != 0)
            throw h.Error(HeadCountKey, $"is {heads}, which does not divide embedding_length {embedding} (and attention.key_length is absent)");
        int keyLength = h.Int(KeyLengthKey, 1, Hyperparameters.MaxHeadDim, embedding / heads);
        int valueLength = h.Int(ValueLengthKey, 1, Hyperparameters.MaxHeadDim, keyLength);
        int ropeDims = h.Int(RopeDimensionCountKey, 2, keyLength, keyLength);
        if (ropeDims % 2 != 0) throw h.Error(RopeDimensionCountKey, $"is {ropeDims}: rotary dimensions come in pairs");

        float freqScale = 1;
        string? scaling = h.String(RopeScalingTypeKey);
        if (scaling is "linear") freqScale = (float)(1 / h.Float(RopeScalingFactorKey, 0, 1e6, 1));
        else if (file.Has($"{arch}.{RopeScaleLinearKey}")) freqScale = (float)(1 / h.Float(RopeScaleLinearKey, 0, 1e6));

        return new ModelConfig
        {
            Architecture = arch,
            Name = file.GetString("general.name"),
            VocabSize = h.VocabularySize(),
            ContextLength = h.Int(ContextLengthKey, 1, Hyperparameters.MaxContext, 4096),
            EmbeddingLength = embedding,
            LayerCount = h.LayerCount(),
            FeedForwardLength = h.Int(FeedForwardLengthKey, 1, Hyperparameters.MaxFeedForward),
            HeadCount = heads,
            HeadCountKv = headsKv,
            KeyLength = keyLength,
            ValueLength = valueLength,
            RmsEpsilon = (float)h.Float(RmsEpsilonKey, 1e-12, 1, 1e-5),
            RopeFreqBase = (float)h.Float(RopeFreqBaseKey, 1, 1e12, 10000),
            RopeFreqScale = freqScale,
            RopeDimensionCount = ropeDims,
            RopeStyle = RopeStyleFor(arch),
            QkvBias = file.TryGetTensor("blk.0.attn_q.bias", out _),
            TiedOutput = !file.TryGetTensor("output.weight", out _),
        };
    }
}
