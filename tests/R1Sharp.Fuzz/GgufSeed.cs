using R1Sharp.Gguf;
using R1Sharp.Numerics.Tensors;
using R1Sharp.TestSupport;

namespace R1Sharp.Fuzz;

/// <summary>
/// A GGUF file as editable lists (metadata, tensors), for mutations that keep the container valid so that the model
/// loaders and the tokenizer, not only the reader, see the hostile values. The seeds are tiny random-weight models of
/// each supported layout (hidden 32, two layers) with the fixture models' R1 tokenizer and chat template.
/// </summary>
public sealed class GgufSeed
{
    public required string Name { get; init; }
    public List<(string Key, GgufValueType Type, object Value)> Metadata { get; init; } = [];
    public List<(string Name, GgmlType Type, long[] Dims, byte[] Data)> Tensors { get; init; } = [];

    public GgufSeed Clone() => new() { Name = Name, Metadata = [.. Metadata], Tensors = [.. Tensors] };

    /// <summary>The file's bytes; throws for structures GgufWriter refuses (callers then fall back to the seed).</summary>
    public byte[] ToBytes()
    {
        var w = new GgufWriter();
        foreach (var (key, type, value) in Metadata) w.Add(key, type, value);
        foreach (var (name, type, dims, data) in Tensors) w.AddTensor(name, type, dims, () => data, data.Length);
        using var ms = new MemoryStream();
        w.WriteTo(ms);
        return ms.ToArray();
    }

    private static readonly Lazy<GgufSeed[]> s_all = new(Build);

    /// <summary>qwen2 (f32, q8_0), llama (f16, rope_freqs) and deepseek2 (f32) seeds.</summary>
    public static IReadOnlyList<GgufSeed> All => s_all.Value;

    private static GgufSeed[] Build()
    {
        using var vocab = GgufFile.Open(Fixtures.Path("golden", "models", "tiny-qwen2-s1-q8_0.gguf"));
        var tokenizer = vocab.MetadataKeys.Where(k => k.StartsWith("tokenizer.", StringComparison.Ordinal))
            .Select(k => (k, vocab.MetadataTypes[k], vocab.Metadata[k])).ToList();
        int n = vocab.GetStringArray("tokenizer.ggml.tokens")!.Length;
        return [Dense("qwen2", GgmlType.F32, tokenizer, n), Dense("qwen2", GgmlType.Q8_0, tokenizer, n), Dense("llama", GgmlType.F16, tokenizer, n), DeepSeek2(tokenizer, n)];
    }

    private static byte[] Random(GgmlType type, long[] dims, int seed)
    {
        long count = dims.Aggregate(1L, (a, d) => a * d);
        var rng = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() - 0.5) * 0.5f;
        return Quantizer.Quantize(type, values, (int)dims[0]);
    }

    private static GgufSeed Dense(string arch, GgmlType matrices, List<(string, GgufValueType, object)> tokenizer, int vocab)
    {
        const int E = 32, Heads = 2, KvHeads = 1, Head = 16, Ffn = 64, Layers = 2;
        var s = new GgufSeed { Name = $"{arch}-{matrices.ToString().ToLowerInvariant()}" };
        s.Metadata.Add(("general.architecture", GgufValueType.String, arch));
        s.Metadata.Add(("general.name", GgufValueType.String, "fuzz seed"));
        s.Metadata.Add(($"{arch}.context_length", GgufValueType.UInt32, 64u));
        s.Metadata.Add(($"{arch}.embedding_length", GgufValueType.UInt32, (uint)E));
        s.Metadata.Add(($"{arch}.block_count", GgufValueType.UInt32, (uint)Layers));
        s.Metadata.Add(($"{arch}.feed_forward_length", GgufValueType.UInt32, (uint)Ffn));
        s.Metadata.Add(($"{arch}.attention.head_count", GgufValueType.UInt32, (uint)Heads));
        s.Metadata.Add(($"{arch}.attention.head_count_kv", GgufValueType.UInt32, (uint)KvHeads));
        s.Metadata.Add(($"{arch}.rope.freq_base", GgufValueType.Float32, 10000f));
        s.Metadata.Add(($"{arch}.attention.layer_norm_rms_epsilon", GgufValueType.Float32, 1e-6f));
        s.Metadata.AddRange(tokenizer);
        int seed = 1;
        void Add(string name, GgmlType type, params long[] dims) => s.Tensors.Add((name, type, dims, Random(type, dims, seed++)));
        Add("token_embd.weight", matrices, E, vocab);
        for (int l = 0; l < Layers; l++)
        {
            string p = $"blk.{l}.";
            Add(p + "attn_norm.weight", GgmlType.F32, E);
            Add(p + "attn_q.weight", matrices, E, Heads * Head);
            Add(p + "attn_k.weight", matrices, E, KvHeads * Head);
            Add(p + "attn_v.weight", matrices, E, KvHeads * Head);
            if (arch == "qwen2")
            {
                Add(p + "attn_q.bias", GgmlType.F32, Heads * Head);
                Add(p + "attn_k.bias", GgmlType.F32, KvHeads * Head);
                Add(p + "attn_v.bias", GgmlType.F32, KvHeads * Head);
            }
            Add(p + "attn_output.weight", matrices, Heads * Head, E);
            Add(p + "ffn_norm.weight", GgmlType.F32, E);
            Add(p + "ffn_gate.weight", matrices, E, Ffn);
            Add(p + "ffn_up.weight", matrices, E, Ffn);
            Add(p + "ffn_down.weight", matrices, Ffn, E);
        }
        Add("output_norm.weight", GgmlType.F32, E);
        if (arch == "llama") Add("rope_freqs.weight", GgmlType.F32, Head / 2);
        else Add("output.weight", matrices, E, vocab);
        return s;
    }

    private static GgufSeed DeepSeek2(List<(string, GgufValueType, object)> tokenizer, int vocab)
    {
        const int E = 32, H = 2, QLora = 32, KvLora = 32, Nope = 16, Rope = 8, V = 16, Ffn = 64, Experts = 4, ExpertFfn = 32, Layers = 2;
        var s = new GgufSeed { Name = "deepseek2-f32" };
        var f = GgmlType.F32;
        (string, GgufValueType, object) U(string k, uint v) => ("deepseek2." + k, GgufValueType.UInt32, v);
        (string, GgufValueType, object) F(string k, float v) => ("deepseek2." + k, GgufValueType.Float32, v);
        s.Metadata.Add(("general.architecture", GgufValueType.String, "deepseek2"));
        s.Metadata.AddRange([U("context_length", 64), U("embedding_length", E), U("block_count", Layers), U("feed_forward_length", Ffn),
            U("attention.head_count", H), U("attention.head_count_kv", H), F("rope.freq_base", 10000), F("attention.layer_norm_rms_epsilon", 1e-6f),
            U("leading_dense_block_count", 1), U("attention.q_lora_rank", QLora), U("attention.kv_lora_rank", KvLora),
            U("attention.key_length", Nope + Rope), U("attention.value_length", V), U("rope.dimension_count", Rope),
            U("expert_feed_forward_length", ExpertFfn), U("expert_count", Experts), U("expert_used_count", 2), U("expert_shared_count", 1),
            F("expert_weights_scale", 2.5f), ("deepseek2.expert_weights_norm", GgufValueType.Bool, true), U("expert_gating_func", 2),
            ("deepseek2.rope.scaling.type", GgufValueType.String, "yarn"), F("rope.scaling.factor", 4), U("rope.scaling.original_context_length", 16),
            F("rope.scaling.yarn_log_multiplier", 0.1f)]);
        s.Metadata.AddRange(tokenizer);
        int seed = 100;
        void Add(string name, params long[] dims) => s.Tensors.Add((name, f, dims, Random(f, dims, seed++)));
        Add("token_embd.weight", E, vocab);
        for (int l = 0; l < Layers; l++)
        {
            string p = $"blk.{l}.";
            Add(p + "attn_norm.weight", E);
            Add(p + "attn_q_a.weight", E, QLora);
            Add(p + "attn_q_a_norm.weight", QLora);
            Add(p + "attn_q_b.weight", QLora, H * (Nope + Rope));
            Add(p + "attn_kv_a_mqa.weight", E, KvLora + Rope);
            Add(p + "attn_kv_a_norm.weight", KvLora);
            Add(p + "attn_kv_b.weight", KvLora, H * (Nope + V));
            Add(p + "attn_output.weight", H * V, E);
            Add(p + "ffn_norm.weight", E);
            if (l == 0)
            {
                Add(p + "ffn_gate.weight", E, Ffn);
                Add(p + "ffn_up.weight", E, Ffn);
                Add(p + "ffn_down.weight", Ffn, E);
                continue;
            }
            Add(p + "ffn_gate_inp.weight", E, Experts);
            Add(p + "exp_probs_b.bias", Experts);
            Add(p + "ffn_gate_exps.weight", E, ExpertFfn, Experts);
            Add(p + "ffn_up_exps.weight", E, ExpertFfn, Experts);
            Add(p + "ffn_down_exps.weight", ExpertFfn, E, Experts);
            Add(p + "ffn_gate_shexp.weight", E, ExpertFfn);
            Add(p + "ffn_up_shexp.weight", E, ExpertFfn);
            Add(p + "ffn_down_shexp.weight", ExpertFfn, E);
        }
        Add("output_norm.weight", E);
        Add("output.weight", E, vocab);
        return s;
    }
}
