using R1Sharp.Numerics.Tensors;
using R1Sharp.Gguf;

namespace R1Sharp.Bench;

/// <summary>DeepSeek-R1-Distill-Qwen-1.5B (qwen2): 1536 hidden, 28 layers, 12 heads (128 dims), 2 KV heads,
/// 8960 FFN, 151936 vocabulary, Q/K/V biases, untied output.</summary>
internal static class Qwen15BShape
{
    public const int Hidden = 1536, Layers = 28, Heads = 12, KvHeads = 2, Ffn = 8960, Vocab = 151936, HeadDim = 128;

    /// <summary>The 2-D weights in file order: name, rows, cols.</summary>
    public static IEnumerable<(string Name, int Rows, int Cols)> Matrices(bool includeEmbedding)
    {
        if (includeEmbedding) yield return ("token_embd.weight", Vocab, Hidden);
        for (int l = 0; l < Layers; l++)
        {
            yield return ($"blk.{l}.attn_q.weight", Heads * HeadDim, Hidden);
            yield return ($"blk.{l}.attn_k.weight", KvHeads * HeadDim, Hidden);
            yield return ($"blk.{l}.attn_v.weight", KvHeads * HeadDim, Hidden);
            yield return ($"blk.{l}.attn_output.weight", Hidden, Heads * HeadDim);
            yield return ($"blk.{l}.ffn_gate.weight", Ffn, Hidden);
            yield return ($"blk.{l}.ffn_up.weight", Ffn, Hidden);
            yield return ($"blk.{l}.ffn_down.weight", Hidden, Ffn);
        }
        yield return ("output.weight", Vocab, Hidden);
    }

    /// <summary>The mixes make-model writes, with llama.cpp's general.file_type (LLAMA_FTYPE_MOSTLY_*).</summary>
    public static IReadOnlyDictionary<string, uint> Mixes { get; } = new Dictionary<string, uint>
    {
        ["q8_0"] = 7, ["q4_k_m"] = 15, ["q4_0"] = 2, ["q4_1"] = 3, ["q5_0"] = 8, ["q5_1"] = 9,
        ["q5_k_m"] = 17, ["q6_k"] = 18, ["f16"] = 1, ["bf16"] = 32,
    };

    /// <summary>llama.cpp's type choice (llama_tensor_get_type): the mix's type everywhere, with Q6_K for the output
    /// of the 4- and 5-bit mixes; Q4_K_M / Q5_K_M also use Q6_K for attn_v / ffn_down of the layers use_more_bits picks
    /// (first and last eighth, every third in between).</summary>
    public static GgmlType TypeOf(string name, string mix)
    {
        switch (mix)
        {
            case "q8_0": return GgmlType.Q8_0;
            case "q6_k": return GgmlType.Q6_K;
            case "f16": return GgmlType.F16;
            case "bf16": return GgmlType.BF16;
        }
        if (name == "output.weight") return GgmlType.Q6_K;
        switch (mix)
        {
            case "q4_0": return GgmlType.Q4_0;
            case "q4_1": return GgmlType.Q4_1;
            case "q5_0": return GgmlType.Q5_0;
            case "q5_1": return GgmlType.Q5_1;
        }
        var k = mix == "q5_k_m" ? GgmlType.Q5_K : GgmlType.Q4_K;
        if (name.EndsWith("attn_v.weight") || name.EndsWith("ffn_down.weight"))
        {
            int layer = int.Parse(name.Split('.')[1]);
            if (UseMoreBits(layer, Layers)) return GgmlType.Q6_K;
        }
        return k;
    }

    private static bool UseMoreBits(int i, int n) => i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}
