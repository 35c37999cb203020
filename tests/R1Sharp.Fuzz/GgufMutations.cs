using R1Sharp.Gguf;

namespace R1Sharp.Fuzz;

/// <summary>Structure-aware mutations of a <see cref="GgufSeed"/>: hostile metadata values of every type, missing keys,
/// reshaped, retyped, renamed, dropped or garbage tensors, and hostile vocabularies.</summary>
public static class GgufMutations
{
    /// <summary>Keys worth attacking besides the seed's own (defaults the loaders fall back to, alignment).</summary>
    private static readonly string[] s_extraKeys =
    [
        "general.alignment", "{0}.attention.key_length", "{0}.attention.value_length", "{0}.rope.dimension_count",
        "{0}.rope.scaling.type", "{0}.rope.scaling.factor", "{0}.rope.scale_linear", "{0}.vocab_size", "{0}.rope.scaling.attn_factor",
        "{0}.expert_group_count", "{0}.expert_group_used_count", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.add_bos_token",
    ];

    private static readonly string[] s_preTokenizers = ["deepseek-r1-qwen", "qwen2", "llama-bpe", "deepseek-v3", "deepseek-llm", "gpt-2", "default", "", "nonsense", "smaug-bpe"];

    public static GgufSeed Mutate(GgufSeed seed, Random rng, bool vocabulary, out string description)
    {
        var s = seed.Clone();
        var what = new List<string>();
        int n = 1 + rng.Next(3);
        for (int k = 0; k < n; k++) what.Add(vocabulary && rng.Next(4) != 0 ? Vocabulary(s, rng) : Model(s, rng));
        description = string.Join("; ", what);
        return s;
    }

    private static string Arch(GgufSeed s) => s.Metadata.FirstOrDefault(m => m.Key == "general.architecture").Value as string ?? "qwen2";

    private static string Model(GgufSeed s, Random rng)
    {
        switch (rng.Next(10))
        {
            case 0 or 1 or 2 or 3:
            {
                if (s.Metadata.Count == 0) return "no metadata left";
                string key = rng.Next(4) == 0 || s.Metadata.Count == 0 ? string.Format(System.Globalization.CultureInfo.InvariantCulture, s_extraKeys[rng.Next(s_extraKeys.Length)], Arch(s))
                    : s.Metadata[rng.Next(s.Metadata.Count)].Key;
                var (type, value) = Value(rng, depth: 0);
                Set(s, key, type, value);
                return $"{key} = {type} {Show(value)}";
            }
            case 4 when s.Metadata.Count > 0:
            {
                int i = rng.Next(s.Metadata.Count);
                string key = s.Metadata[i].Key;
                s.Metadata.RemoveAt(i);
                return $"remove {key}";
            }
            case 5 when s.Tensors.Count > 0:
            {
                int i = rng.Next(s.Tensors.Count);
                var t = s.Tensors[i];
                var dims = (long[])t.Dims.Clone();
                switch (rng.Next(5))
                {
                    case 0: Array.Reverse(dims); break;
                    case 1: dims[rng.Next(dims.Length)] = rng.Next(2) == 0 ? 1 : dims[0] * 2; break;
                    case 2: dims = [.. dims, 1 + rng.Next(3)]; break;
                    case 3: dims = dims.Length > 1 ? dims[..^1] : [dims[0] + 32]; break;
                    default: dims[rng.Next(dims.Length)] += rng.Next(2) == 0 ? 32 : -1; break;
                }
                if (!Fits(t.Type, dims)) return "reshape skipped";
                s.Tensors[i] = (t.Name, t.Type, dims, Bytes(rng, t.Type, dims));
                return $"reshape {t.Name} to [{string.Join(", ", dims)}]";
            }
            case 6 when s.Tensors.Count > 0:
            {
                int i = rng.Next(s.Tensors.Count);
                var t = s.Tensors[i];
                GgmlType[] types = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
                    GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.I32];
                var type = types[rng.Next(types.Length)];
                if (!Fits(type, t.Dims)) return "retype skipped";
                s.Tensors[i] = (t.Name, type, t.Dims, Bytes(rng, type, t.Dims));
                return $"retype {t.Name} to {type}";
            }
            case 7 when s.Tensors.Count > 0:
            {
                int i = rng.Next(s.Tensors.Count);
                string name = s.Tensors[i].Name;
                s.Tensors.RemoveAt(i);
                return $"drop {name}";
            }
            case 8 when s.Tensors.Count > 0:
            {
                int i = rng.Next(s.Tensors.Count);
                var t = s.Tensors[i];
                string[] names = ["blk.2.attn_q.weight", "blk.99999999999.ffn_up.weight", "blk.-1.attn_k.weight", "blk.x.attn_v.weight", "blk.0.attn_q_norm.weight",
                    "output.weight", "token_embd.weight", "rope_freqs.weight", "blk.1.exp_probs_b.bias", "blk.0.attn_k_b.weight", "blk.0.attn_v_b.weight", ""];
                string name = names[rng.Next(names.Length)];
                if (s.Tensors.Any(x => x.Name == name)) return "rename skipped";
                if (rng.Next(2) == 0) s.Tensors[i] = (name, t.Type, t.Dims, t.Data);
                else s.Tensors.Add((name, t.Type, t.Dims, t.Data));
                return $"{t.Name} as {name}";
            }
            case 9 when s.Tensors.Count > 0:
            {
                // garbage weights: NaN, infinities, huge scales in quantized blocks
                int i = rng.Next(s.Tensors.Count);
                var t = s.Tensors[i];
                var data = (byte[])t.Data.Clone();
                if (rng.Next(2) == 0) rng.NextBytes(data);
                else for (int b = 0; b + 4 <= data.Length; b += 4) BitConverter.TryWriteBytes(data.AsSpan(b), float.NaN);
                s.Tensors[i] = (t.Name, t.Type, t.Dims, data);
                return $"garbage {t.Name}";
            }
            default: return "nothing left to mutate";
        }
    }

    private static string Vocabulary(GgufSeed s, Random rng)
    {
        var tokens = s.Metadata.FirstOrDefault(m => m.Key == "tokenizer.ggml.tokens").Value is GgufArray { Items: string[] seedTokens } ? seedTokens : ["a", "b"];
        switch (rng.Next(8))
        {
            case 0:
            {
                var t = (string[])tokens.Clone();
                int count = 1 + rng.Next(20);
                for (int k = 0; k < count; k++) t[rng.Next(t.Length)] = TextGenerator.Text(rng, 1 + rng.Next(rng.Next(8) == 0 ? 5000 : 12));
                Set(s, "tokenizer.ggml.tokens", GgufValueType.Array, new GgufArray(GgufValueType.String, t));
                return $"{count} tokens replaced";
            }
            case 1:
            {
                var t = rng.Next(2) == 0 ? tokens[..rng.Next(tokens.Length)] : [.. tokens, .. Enumerable.Range(0, 1 + rng.Next(50)).Select(_ => TextGenerator.Text(rng, 3))];
                Set(s, "tokenizer.ggml.tokens", GgufValueType.Array, new GgufArray(GgufValueType.String, t));
                return $"{t.Length} tokens (was {tokens.Length})";
            }
            case 2:
            {
                // every token special: the partition into special tokens sees thousands of candidates
                var types = Enumerable.Range(0, tokens.Length).Select(_ => rng.Next(4) == 0 ? rng.Next(8) : 4).ToArray();
                Set(s, "tokenizer.ggml.token_type", GgufValueType.Array, new GgufArray(GgufValueType.Int32, types));
                return "token types mostly user-defined";
            }
            case 3:
            {
                var merges = Enumerable.Range(0, rng.Next(2000)).Select(_ => rng.Next(3) switch
                {
                    0 => tokens[rng.Next(tokens.Length)] + " " + tokens[rng.Next(tokens.Length)],
                    1 => TextGenerator.Text(rng, rng.Next(6)),
                    _ => " " + TextGenerator.Text(rng, 2) + "  ",
                }).ToArray();
                Set(s, "tokenizer.ggml.merges", GgufValueType.Array, new GgufArray(GgufValueType.String, merges));
                return $"{merges.Length} random merges";
            }
            case 4:
            {
                string[] keys = ["tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id", "tokenizer.ggml.padding_token_id"];
                string key = keys[rng.Next(keys.Length)];
                var (type, value) = rng.Next(3) == 0 ? Value(rng, 1) : (GgufValueType.Int64, (object)(long)Mutator.Integer(rng));
                Set(s, key, type, value);
                return $"{key} = {Show(value)}";
            }
            case 5:
            {
                string pre = s_preTokenizers[rng.Next(s_preTokenizers.Length)];
                Set(s, "tokenizer.ggml.pre", GgufValueType.String, pre);
                return $"pre = {pre}";
            }
            case 6:
            {
                string[] keys = ["tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type", "tokenizer.ggml.pre", "tokenizer.chat_template"];
                string key = keys[rng.Next(keys.Length)];
                var (type, value) = Value(rng, 0);
                if (rng.Next(2) == 0) s.Metadata.RemoveAll(m => m.Key == key);
                else Set(s, key, type, value);
                return $"{key} replaced or removed";
            }
            default:
            {
                var templates = JinjaTarget.Templates;
                string template = JinjaTarget.MutateTemplate(templates[rng.Next(templates.Count)], rng);
                Set(s, "tokenizer.chat_template", GgufValueType.String, template);
                return "mutated chat template";
            }
        }
    }

    private static void Set(GgufSeed s, string key, GgufValueType type, object value)
    {
        int i = s.Metadata.FindIndex(m => m.Key == key);
        if (i >= 0) s.Metadata[i] = (key, type, value);
        else s.Metadata.Add((key, type, value));
    }

    private static bool Fits(GgmlType type, long[] dims)
    {
        if (dims.Length == 0 || dims.Any(d => d <= 0) || !GgmlTypeInfo.TryGetBlock(type, out int block, out _) || dims[0] % block != 0) return false;
        return GgufWriter.ExpectedBytes(type, dims) <= 4 << 20;
    }

    private static byte[] Bytes(Random rng, GgmlType type, long[] dims)
    {
        var data = new byte[GgufWriter.ExpectedBytes(type, dims)];
        if (rng.Next(3) != 0)
            for (int i = 0; i + 2 <= data.Length; i += 2) BitConverter.TryWriteBytes(data.AsSpan(i), (Half)((rng.NextDouble() - 0.5) * 0.1));
        else rng.NextBytes(data);
        return data;
    }

    /// <summary>A value of a random GGUF type, often an interesting one.</summary>
    public static (GgufValueType Type, object Value) Value(Random rng, int depth)
    {
        ulong u = Mutator.Integer(rng);
        double d = Mutator.Float(rng);
        switch (rng.Next(depth < 2 ? 14 : 13))
        {
            case 0: return (GgufValueType.UInt8, (byte)u);
            case 1: return (GgufValueType.Int8, (sbyte)u);
            case 2: return (GgufValueType.UInt16, (ushort)u);
            case 3: return (GgufValueType.Int16, (short)u);
            case 4 or 5: return (GgufValueType.UInt32, (uint)u);
            case 6: return (GgufValueType.Int32, (int)u);
            case 7: return (GgufValueType.UInt64, u);
            case 8: return (GgufValueType.Int64, (long)u);
            case 9: return (GgufValueType.Float32, (float)d);
            case 10: return (GgufValueType.Float64, d);
            case 11: return (GgufValueType.Bool, rng.Next(2) == 0);
            case 12: return (GgufValueType.String, TextGenerator.Text(rng, rng.Next(8) == 0 ? rng.Next(100_000) : rng.Next(20)));
            default:
            {
                int count = rng.Next(4) == 0 ? rng.Next(100_000) : rng.Next(8);
                switch (rng.Next(4))
                {
                    case 0: return (GgufValueType.Array, new GgufArray(GgufValueType.Int32, Enumerable.Range(0, count).Select(_ => (int)Mutator.Integer(rng)).ToArray()));
                    case 1: return (GgufValueType.Array, new GgufArray(GgufValueType.Float32, Enumerable.Range(0, count).Select(_ => (float)Mutator.Float(rng)).ToArray()));
                    case 2: return (GgufValueType.Array, new GgufArray(GgufValueType.String, Enumerable.Range(0, Math.Min(count, 5000)).Select(_ => TextGenerator.Text(rng, rng.Next(6))).ToArray()));
                    default:
                        return (GgufValueType.Array, new GgufArray(GgufValueType.Array,
                            Enumerable.Range(0, Math.Min(count, 50)).Select(_ => (object)new GgufArray(GgufValueType.UInt8, new byte[rng.Next(4)])).ToArray()));
                }
            }
        }
    }

    private static string Show(object v) => v switch
    {
        string s => s.Length > 20 ? $"string({s.Length})" : $"'{s}'",
        GgufArray a => a.ToString(),
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
