using R1Sharp.Gguf;

namespace R1Sharp.Models.DeepSeek2;

/// <summary>
/// Hyperparameters of llama.cpp's "deepseek2" architecture (DeepSeek-V2/V3/R1), read from GGUF metadata
/// `deepseek2.*`. Attention is MLA: queries through an optional low-rank path (q_lora_rank), keys/values
/// through a compressed latent of kv_lora_rank values plus one shared rotary key of RopeDims values.
/// </summary>
public sealed record DeepSeek2Config
{
    public required int VocabSize { get; init; }
    public required int ContextLength { get; init; }
    public required int EmbeddingLength { get; init; }
    public required int LayerCount { get; init; }
    public required int HeadCount { get; init; }
    /// <summary>Query/key head size: nope part + rope part (attention.key_length).</summary>
    public required int KeyLength { get; init; }
    /// <summary>Value head size (attention.value_length).</summary>
    public required int ValueLength { get; init; }
    /// <summary>Rotary dims of each head (rope.dimension_count), the trailing part of each q/k head.</summary>
    public required int RopeDims { get; init; }
    public int NopeDims => KeyLength - RopeDims;
    /// <summary>0 for the Lite layout (plain attn_q).</summary>
    public required int QLoraRank { get; init; }
    public required int KvLoraRank { get; init; }
    public required float RmsEpsilon { get; init; }
    public required int FeedForwardLength { get; init; }
    public required int LeadingDenseLayers { get; init; }
    public required int ExpertCount { get; init; }
    public required int ExpertsUsed { get; init; }
    public required int SharedExperts { get; init; }
    public required int ExpertFeedForwardLength { get; init; }
    public required float ExpertWeightsScale { get; init; }
    public required bool ExpertWeightsNorm { get; init; }
    /// <summary>1 = softmax (DeepSeek-V2 and files without the key), 2 = sigmoid (V3/R1).</summary>
    public required int GatingFunction { get; init; }
    /// <summary>Group-limited routing: experts split into ExpertGroups groups, only ExpertGroupsUsed groups eligible (0 = off).</summary>
    public required int ExpertGroups { get; init; }
    public required int ExpertGroupsUsed { get; init; }
    public required YarnRope Rope { get; init; }
    /// <summary>Softmax scale of attention: mscale^2 / sqrt(KeyLength), mscale = 1 + yarn_log_multiplier * ln(1/freq_scale).</summary>
    public required float AttentionScale { get; init; }

    /// <summary>Reads `deepseek2.*`, each value held to a sane range and to the others (experts, groups, layers, rope
    /// inside the key head). Throws <see cref="ModelFormatException"/> naming the key.</summary>
    public static DeepSeek2Config FromGguf(GgufFile f)
    {
        var h = new Hyperparameters(f, "deepseek2");
        int embd = h.Int("embedding_length", 1, Hyperparameters.MaxWidth);
        int heads = h.Int("attention.head_count", 1, Hyperparameters.MaxHeads);
        if (!f.Has("deepseek2.attention.key_length") && embd % heads != 0)
            throw h.Error("attention.head_count", $"is {heads}, which does not divide embedding_length {embd} (and attention.key_length is absent)");
        int keyLength = h.Int("attention.key_length", 2, Hyperparameters.MaxHeadDim, embd / heads);
        int ropeDims = h.Int("rope.dimension_count", 2, keyLength - 1);
        if (ropeDims % 2 != 0) throw h.Error("rope.dimension_count", $"is {ropeDims}: rotary dimensions come in pairs");
        bool lite = !f.TryGetTensor("blk.0.attn_q_a.weight", out _);
        int layers = h.LayerCount();

        int experts = h.Int("expert_count", 0, Hyperparameters.MaxExperts, 0);
        int expertsUsed = h.Int("expert_used_count", experts > 0 ? 1 : 0, experts, 0);
        if (experts > 0 && expertsUsed == 0) throw h.Error("expert_used_count", "is missing (the model has experts)");
        int groups = h.Int("expert_group_count", 0, Math.Max(experts, 1), 0);
        if (groups > 1 && experts % groups != 0) throw h.Error("expert_group_count", $"is {groups}, which does not divide the {experts} experts");
        int groupsUsed = h.Int("expert_group_used_count", 0, Math.Max(groups, 1), 0);
        if (groups > 1 && groupsUsed > 0 && groupsUsed * (experts / groups) < expertsUsed)
            throw h.Error("expert_group_used_count", $"is {groupsUsed}: {groupsUsed} groups of {experts / groups} experts cannot supply {expertsUsed} experts per token");
        int leadingDense = h.Int("leading_dense_block_count", 0, layers, experts > 0 ? 0 : layers);
        int gating = h.Int("expert_gating_func", 0, 2, 0);

        string scalingType = h.String("rope.scaling.type") ?? "none";
        double factor = f.Has("deepseek2.rope.scaling.factor") ? h.Float("rope.scaling.factor", 0, 1e6)
            : f.Has("deepseek2.rope.scale_linear") ? h.Float("rope.scale_linear", 0, 1e6) : 0;
        double freqScale = factor == 0 || scalingType == "none" ? 1.0 : 1.0 / factor;
        double attnFactor = h.Float("rope.scaling.attn_factor", 0, 1e6, 1.0);
        double yarnLogMul = h.Float("rope.scaling.yarn_log_multiplier", -1e6, 1e6, 0.0);
        int contextLength = h.Int("context_length", 1, Hyperparameters.MaxContext, 4096);
        var rope = new YarnRope(
            dims: ropeDims,
            freqBase: h.Float("rope.freq_base", 1, 1e12, 10000),
            freqScale: freqScale,
            extFactor: scalingType == "yarn" ? 1.0 : 0.0,
            originalContext: h.Int("rope.scaling.original_context_length", 1, Hyperparameters.MaxContext, contextLength));
        double mscale = attnFactor * (1.0 + yarnLogMul * Math.Log(1.0 / freqScale));
        double attentionScale = mscale * mscale / Math.Sqrt(keyLength);
        if (!double.IsFinite(attentionScale) || attentionScale <= 0)
            throw h.Error("rope.scaling.yarn_log_multiplier", $"gives an attention scale of {attentionScale} (with rope.scaling.factor {factor} and attn_factor {attnFactor})");

        return new DeepSeek2Config
        {
            VocabSize = h.VocabularySize(),
            ContextLength = contextLength,
            EmbeddingLength = embd,
            LayerCount = layers,
            HeadCount = heads,
            KeyLength = keyLength,
            ValueLength = h.Int("attention.value_length", 1, Hyperparameters.MaxHeadDim, embd / heads),
            RopeDims = ropeDims,
            QLoraRank = lite ? 0 : h.Int("attention.q_lora_rank", 1, Hyperparameters.MaxWidth),
            KvLoraRank = h.Int("attention.kv_lora_rank", 1, Hyperparameters.MaxWidth),
            RmsEpsilon = (float)h.Float("attention.layer_norm_rms_epsilon", 1e-12, 1),
            FeedForwardLength = leadingDense > 0 ? h.Int("feed_forward_length", 1, Hyperparameters.MaxFeedForward) : h.Int("feed_forward_length", 0, Hyperparameters.MaxFeedForward, 0),
            LeadingDenseLayers = leadingDense,
            ExpertCount = experts,
            ExpertsUsed = expertsUsed,
            SharedExperts = h.Int("expert_shared_count", 0, Hyperparameters.MaxExperts, 0),
            ExpertFeedForwardLength = experts > 0 ? h.Int("expert_feed_forward_length", 1, Hyperparameters.MaxFeedForward) : 0,
            ExpertWeightsScale = (float)h.Float("expert_weights_scale", 0, 1e6, 1.0),
            ExpertWeightsNorm = h.Bool("expert_weights_norm") ?? false,
            GatingFunction = gating == 0 ? 1 : gating,
            ExpertGroups = groups,
            ExpertGroupsUsed = groupsUsed,
            Rope = rope,
            AttentionScale = (float)attentionScale,
        };
    }

    /// <summary>The hyperparameters every architecture shares, as a <see cref="ModelConfig"/> (MLA: one KV head per
    /// query head in the expanded view; the cache itself is the compressed latent).</summary>
    public ModelConfig ToModelConfig(string? name) => new()
    {
        Architecture = "deepseek2",
        Name = name,
        VocabSize = VocabSize,
        ContextLength = ContextLength,
        EmbeddingLength = EmbeddingLength,
        LayerCount = LayerCount,
        FeedForwardLength = FeedForwardLength,
        HeadCount = HeadCount,
        HeadCountKv = HeadCount,
        KeyLength = KeyLength,
        ValueLength = ValueLength,
        RmsEpsilon = RmsEpsilon,
        RopeFreqBase = (float)Rope.FreqBase,
        RopeFreqScale = (float)Rope.FreqScale,
        RopeDimensionCount = RopeDims,
        RopeStyle = RopeStyle.Normal,
    };
}
