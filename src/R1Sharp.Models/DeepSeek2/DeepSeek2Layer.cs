using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Models.DeepSeek2;

/// <summary>The weights of one deepseek2 block (views into the mapped GGUF; a few small float32 copies).</summary>
internal sealed class DeepSeek2Layer
{
    public required float[] AttnNorm { get; init; }
    // query: low-rank (QA -> norm -> QB) or plain Q (Lite)
    public WeightMatrix? QA { get; init; }
    public float[]? QANorm { get; init; }
    public required WeightMatrix QB { get; init; }
    /// <summary>attn_kv_a_mqa: E -> KvLoraRank + RopeDims.</summary>
    public required WeightMatrix KvA { get; init; }
    public required float[] KvANorm { get; init; }
    /// <summary>float32 [heads, KvLoraRank, NopeDims]: per head W_k^T, absorbed into the query.</summary>
    public required NativeBuffer KB { get; init; }
    /// <summary>float32 [heads, ValueLength, KvLoraRank]: per head W_v, applied to the attended latent.</summary>
    public required NativeBuffer VB { get; init; }
    public required WeightMatrix AttnOutput { get; init; }
    public required float[] FfnNorm { get; init; }
    // dense FFN
    public WeightMatrix? Gate { get; init; }
    public WeightMatrix? Up { get; init; }
    public WeightMatrix? Down { get; init; }
    // mixture of experts
    public WeightMatrix? Router { get; init; }
    public float[]? RouterBias { get; init; }
    public WeightMatrix[]? ExpertGate { get; init; }
    public WeightMatrix[]? ExpertUp { get; init; }
    public WeightMatrix[]? ExpertDown { get; init; }
    public WeightMatrix? SharedGate { get; init; }
    public WeightMatrix? SharedUp { get; init; }
    public WeightMatrix? SharedDown { get; init; }

    public bool IsMoe => Router != null;
}
