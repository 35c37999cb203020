using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.Numerics;

namespace R1Sharp.Training.Sft;

/// <summary>
/// `--config tiny.json`: the shape of a fresh model and the GGUF file whose tokenizer (tokenizer.* metadata,
/// chat template included) it uses. Schema in docs/training.md.
/// </summary>
public sealed record ModelConfig(ModelShape Shape, string TokenizerPath, string Name, float InitStd)
{
    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config file not found: {path}");
        JsonElement j;
        try { j = JsonDocument.Parse(File.ReadAllText(path)).RootElement; }
        catch (JsonException e) { throw new InvalidDataException($"{path}: malformed JSON ({e.Message.Split('.')[0]})"); }
        if (j.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object");
        string where = Path.GetFileName(path);
        int Int(string k, int? def = null)
        {
            if (!j.TryGetProperty(k, out var v)) return def ?? throw new InvalidDataException($"{where}: \"{k}\" is required");
            return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw new InvalidDataException($"{where}: \"{k}\" must be an integer");
        }
        double Num(string k, double def) => !j.TryGetProperty(k, out var v) ? def
            : v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new InvalidDataException($"{where}: \"{k}\" must be a number");
        bool Bool(string k, bool def) => !j.TryGetProperty(k, out var v) ? def
            : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw new InvalidDataException($"{where}: \"{k}\" must be true or false");
        string? Str(string k) => !j.TryGetProperty(k, out var v) ? null
            : v.ValueKind == JsonValueKind.String ? v.GetString() : throw new InvalidDataException($"{where}: \"{k}\" must be a string");

        string arch = Str("architecture") ?? "qwen2";
        string tokRel = Str("tokenizer") ?? throw new InvalidDataException($"{where}: \"tokenizer\" (a GGUF file with a tokenizer) is required");
        string tokPath = Path.IsPathRooted(tokRel) ? tokRel : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, tokRel);
        if (!File.Exists(tokPath)) throw new InvalidDataException($"{where}: tokenizer file not found: {tokPath}");
        int vocab;
        using (var tf = GgufFile.Open(tokPath))
            vocab = tf.GetStringArray("tokenizer.ggml.tokens")?.Length ?? throw new InvalidDataException($"{tokPath}: no tokenizer.ggml.tokens");
        var shape = new ModelShape
        {
            Architecture = arch,
            VocabSize = vocab,
            EmbeddingLength = Int("embedding_length"),
            LayerCount = Int("block_count"),
            HeadCount = Int("head_count"),
            KvHeadCount = Int("head_count_kv", Int("head_count")),
            FeedForwardLength = Int("feed_forward_length"),
            ContextLength = Int("context_length", 512),
            RmsEps = (float)Num("rms_eps", 1e-6),
            RopeBase = (float)Num("rope_freq_base", 10000),
            QkvBias = Bool("qkv_bias", arch == "qwen2"),
            TiedOutput = Bool("tied_output", false),
        };
        try { shape.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{where}: {e.Message}"); }
        float std = (float)Num("init_std", 0.02);
        if (!(std > 0)) throw new InvalidDataException($"{where}: \"init_std\" must be positive");
        return new ModelConfig(shape, tokPath, Str("name") ?? Path.GetFileNameWithoutExtension(path), std);
    }

    /// <summary>GPT-2 style init: N(0, std) weights, residual projections scaled by 1/sqrt(2 L), norms 1, biases 0.</summary>
    public void Initialize(TrainableModel model, ulong seed)
    {
        var rng = new Xoshiro256StarStar(seed ^ 0x5EED_1A17_0000_0001UL);
        double residualStd = InitStd / Math.Sqrt(2.0 * Shape.LayerCount);
        foreach (var t in model.Parameters.Tensors)
        {
            var s = t.Span;
            if (t.Name.EndsWith("norm.weight", StringComparison.Ordinal)) s.Fill(1);
            else if (t.Name.EndsWith(".bias", StringComparison.Ordinal)) s.Clear();
            else
            {
                double std = t.Name.EndsWith("attn_output.weight", StringComparison.Ordinal) || t.Name.EndsWith("ffn_down.weight", StringComparison.Ordinal) ? residualStd : InitStd;
                for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextGaussian() * std);
            }
        }
    }

    /// <summary>Metadata of the new model: shape keys, name, and every tokenizer.* key of the tokenizer file.</summary>
    public List<MetadataEntry> Metadata()
    {
        var list = new List<MetadataEntry>();
        string a = Shape.Architecture;
        list.Add(new("general.architecture", GgufValueType.String, a));
        list.Add(new("general.name", GgufValueType.String, Name));
        list.Add(new("general.file_type", GgufValueType.UInt32, 0u));
        list.Add(new($"{a}.context_length", GgufValueType.UInt32, (uint)Shape.ContextLength));
        list.Add(new($"{a}.embedding_length", GgufValueType.UInt32, (uint)Shape.EmbeddingLength));
        list.Add(new($"{a}.block_count", GgufValueType.UInt32, (uint)Shape.LayerCount));
        list.Add(new($"{a}.feed_forward_length", GgufValueType.UInt32, (uint)Shape.FeedForwardLength));
        list.Add(new($"{a}.attention.head_count", GgufValueType.UInt32, (uint)Shape.HeadCount));
        list.Add(new($"{a}.attention.head_count_kv", GgufValueType.UInt32, (uint)Shape.KvHeadCount));
        list.Add(new($"{a}.rope.freq_base", GgufValueType.Float32, Shape.RopeBase));
        list.Add(new($"{a}.attention.layer_norm_rms_epsilon", GgufValueType.Float32, Shape.RmsEps));
        list.Add(new($"{a}.rope.dimension_count", GgufValueType.UInt32, (uint)Shape.HeadDim));
        list.Add(new($"{a}.vocab_size", GgufValueType.UInt32, (uint)Shape.VocabSize));
        using var tf = GgufFile.Open(TokenizerPath);
        foreach (string k in tf.MetadataKeys)
            if (k.StartsWith("tokenizer.", StringComparison.Ordinal)) list.Add(new(k, tf.MetadataTypes[k], tf.Metadata[k]));
        return list;
    }
}

/// <summary>One GGUF metadata entry kept in memory (copied unchanged into checkpoints and exports).</summary>
public sealed record MetadataEntry(string Key, GgufValueType Type, object Value);
