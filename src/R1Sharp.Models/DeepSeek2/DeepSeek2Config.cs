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

    public static DeepSeek2Config FromGguf(GgufFile f)
    {
        const string a = "deepseek2.";
        long I(string k) => f.RequireInteger(a + k);
        long IOr(string k, long d) => f.GetInteger(a + k) ?? d;
        double FOr(string k, double d) => f.GetFloat(a + k) ?? d;

        int embd = (int)I("embedding_length");
        int heads = (int)I("attention.head_count");
        int keyLength = (int)IOr("attention.key_length", embd / heads);
        int vocab = f.TryGetTensor("token_embd.weight", out var te) ? (int)te.Dimensions[1] : (int)IOr("vocab_size", 0);
        bool lite = !f.TryGetTensor("blk.0.attn_q_a.weight", out _);

        string scalingType = f.GetString(a + "rope.scaling.type") ?? "none";
        double factor = FOr("rope.scaling.factor", FOr("rope.scale_linear", 0));
        double freqScale = factor == 0 || scalingType == "none" ? 1.0 : 1.0 / factor;
        double attnFactor = FOr("rope.scaling.attn_factor", 1.0);
        double yarnLogMul = FOr("rope.scaling.yarn_log_multiplier", 0.0);
        int ropeDims = (int)IOr("rope.dimension_count", keyLength);
        var rope = new YarnRope(
            dims: ropeDims,
            freqBase: FOr("rope.freq_base", 10000),
            freqScale: freqScale,
            extFactor: scalingType == "yarn" ? 1.0 : 0.0,
            originalContext: (int)IOr("rope.scaling.original_context_length", IOr("context_length", 4096)));
        double mscale = attnFactor * (1.0 + yarnLogMul * Math.Log(1.0 / freqScale));

        int gating = (int)IOr("expert_gating_func", 0);
        return new DeepSeek2Config
        {
            VocabSize = vocab,
            ContextLength = (int)IOr("context_length", 4096),
            EmbeddingLength = embd,
            LayerCount = (int)I("block_count"),
            HeadCount = heads,
            KeyLength = keyLength,
            ValueLength = (int)IOr("attention.value_length", embd / heads),
            RopeDims = ropeDims,
            QLoraRank = lite ? 0 : (int)IOr("attention.q_lora_rank", 0),
            KvLoraRank = (int)I("attention.kv_lora_rank"),
            RmsEpsilon = (float)f.RequireFloat(a + "attention.layer_norm_rms_epsilon"),
            FeedForwardLength = (int)IOr("feed_forward_length", 0),
            LeadingDenseLayers = (int)IOr("leading_dense_block_count", 0),
            ExpertCount = (int)IOr("expert_count", 0),
            ExpertsUsed = (int)IOr("expert_used_count", 0),
            SharedExperts = (int)IOr("expert_shared_count", 0),
            ExpertFeedForwardLength = (int)IOr("expert_feed_forward_length", 0),
            ExpertWeightsScale = (float)FOr("expert_weights_scale", 1.0),
            ExpertWeightsNorm = f.GetBool(a + "expert_weights_norm") ?? false,
            GatingFunction = gating == 0 ? 1 : gating,
            ExpertGroups = (int)IOr("expert_group_count", 0),
            ExpertGroupsUsed = (int)IOr("expert_group_used_count", 0),
            Rope = rope,
            AttentionScale = (float)(mscale * mscale / Math.Sqrt(keyLength)),
        };
    }
}
