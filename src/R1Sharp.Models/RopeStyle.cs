namespace R1Sharp.Models;

/// <summary>How rotary embedding pairs dimensions (llama.cpp's rope types).</summary>
public enum RopeStyle
{
    /// <summary>LLAMA_ROPE_TYPE_NORM: rotates adjacent pairs (x[2i], x[2i+1]) (llama, deepseek2).</summary>
    Normal,

    /// <summary>LLAMA_ROPE_TYPE_NEOX: rotates (x[i], x[i + n/2]) (qwen2, GPT-NeoX).</summary>
    Neox,
}
