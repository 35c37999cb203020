using R1Sharp.Gguf;

namespace R1Sharp.Training;

/// <summary>The shape of a dense qwen2/llama-layout transformer as the training engine sees it.</summary>
public sealed record ModelShape
{
    public required string Architecture { get; init; }   // "qwen2" or "llama"
    public required int VocabSize { get; init; }
    public required int EmbeddingLength { get; init; }   // C
    public required int LayerCount { get; init; }
    public required int HeadCount { get; init; }         // H
    public required int KvHeadCount { get; init; }       // KV
    public required int FeedForwardLength { get; init; } // F
    public required int ContextLength { get; init; }
    public float RmsEps { get; init; } = 1e-6f;
    public float RopeBase { get; init; } = 10000f;
    public bool QkvBias { get; init; }
    public bool TiedOutput { get; init; }

    public int HeadDim => EmbeddingLength / HeadCount;
    public int QDim => HeadCount * HeadDim;
    public int KvDim => KvHeadCount * HeadDim;
    /// <summary>qwen2 rotates the two halves of a head (NEOX style); llama rotates adjacent pairs.</summary>
    public bool RopeNeox => Architecture == "qwen2";

    /// <summary>Throws <see cref="ArgumentException"/> with a clear message if the shape cannot be built.</summary>
    public void Validate()
    {
        if (Architecture is not ("qwen2" or "llama"))
            throw new ArgumentException($"architecture '{Architecture}' is not supported for training (qwen2 or llama)");
        if (VocabSize <= 0 || EmbeddingLength <= 0 || LayerCount <= 0 || HeadCount <= 0 || KvHeadCount <= 0 || FeedForwardLength <= 0 || ContextLength <= 1)
            throw new ArgumentException("vocab_size, embedding_length, block_count, head_count, head_count_kv, feed_forward_length must be positive and context_length > 1");
        if (EmbeddingLength % HeadCount != 0)
            throw new ArgumentException($"embedding_length {EmbeddingLength} is not a multiple of head_count {HeadCount}");
        if (HeadCount % KvHeadCount != 0)
            throw new ArgumentException($"head_count {HeadCount} is not a multiple of head_count_kv {KvHeadCount}");
        if (HeadDim % 2 != 0)
            throw new ArgumentException($"head dimension {HeadDim} must be even for rotary embeddings");
        if (!(RmsEps > 0) || !(RopeBase > 1))
            throw new ArgumentException("rms_eps must be > 0 and rope_freq_base > 1");
    }

    public long ParameterCount
    {
        get
        {
            long c = EmbeddingLength, perLayer = 2 * c + c * QDim + 2 * c * KvDim + QDim * c + 3 * c * FeedForwardLength;
            if (QkvBias) perLayer += QDim + 2 * KvDim;
            return VocabSize * c + LayerCount * perLayer + c + (TiedOutput ? 0 : VocabSize * c);
        }
    }

    /// <summary>Reads the shape from a GGUF model's metadata and tensor list.</summary>
    public static ModelShape FromGguf(GgufFile file)
    {
        string arch = file.RequireString("general.architecture");
        if (arch is not ("qwen2" or "llama"))
            throw new ArgumentException($"{Path.GetFileName(file.Path)}: architecture '{arch}' is not supported for training (qwen2 or llama)");
        var embd = file.GetTensor("token_embd.weight");
        int c = (int)file.RequireInteger($"{arch}.embedding_length");
        int heads = (int)file.RequireInteger($"{arch}.attention.head_count");
        long? rd = file.GetInteger($"{arch}.rope.dimension_count");
        if (rd is long r && r != c / heads)
            throw new ArgumentException($"partial rotary embeddings (rope.dimension_count {r} != head dim {c / heads}) are not supported for training");
        var shape = new ModelShape
        {
            Architecture = arch,
            VocabSize = (int)embd.Dimensions[1],
            EmbeddingLength = c,
            LayerCount = (int)file.RequireInteger($"{arch}.block_count"),
            HeadCount = heads,
            KvHeadCount = (int)(file.GetInteger($"{arch}.attention.head_count_kv") ?? heads),
            FeedForwardLength = (int)file.RequireInteger($"{arch}.feed_forward_length"),
            ContextLength = (int)file.RequireInteger($"{arch}.context_length"),
            RmsEps = (float)(file.GetFloat($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-6),
            RopeBase = (float)(file.GetFloat($"{arch}.rope.freq_base") ?? 10000.0),
            QkvBias = file.TryGetTensor("blk.0.attn_q.bias", out _),
            TiedOutput = !file.TryGetTensor("output.weight", out _),
        };
        shape.Validate();
        return shape;
    }

    /// <summary>The GGUF metadata keys describing this shape (llama.cpp names).</summary>
    public void WriteMetadata(GgufWriter w)
    {
        string a = Architecture;
        w.Set("general.architecture", a);
        w.Set($"{a}.context_length", (uint)ContextLength);
        w.Set($"{a}.embedding_length", (uint)EmbeddingLength);
        w.Set($"{a}.block_count", (uint)LayerCount);
        w.Set($"{a}.feed_forward_length", (uint)FeedForwardLength);
        w.Set($"{a}.attention.head_count", (uint)HeadCount);
        w.Set($"{a}.attention.head_count_kv", (uint)KvHeadCount);
        w.Set($"{a}.rope.freq_base", RopeBase);
        w.Set($"{a}.attention.layer_norm_rms_epsilon", RmsEps);
        w.Set($"{a}.rope.dimension_count", (uint)HeadDim);
        w.Set($"{a}.vocab_size", (uint)VocabSize);
    }
}
