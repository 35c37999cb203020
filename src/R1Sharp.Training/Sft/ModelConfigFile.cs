using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.Models;
using R1Sharp.Numerics;

namespace R1Sharp.Training.Sft;

/// <summary>
/// `--config tiny.json`: the <see cref="ModelConfig"/> of a fresh model (its name included), the GGUF file whose
/// tokenizer (tokenizer.* metadata, chat template included) it uses, and its initialization. Schema in docs/training.md.
/// </summary>
public sealed record ModelConfigFile(ModelConfig Model, string TokenizerPath, float InitStd)
{
    public static ModelConfigFile Load(string path)
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
        var model = ModelConfig.Dense(arch, vocab, embeddingLength: Int("embedding_length"), layerCount: Int("block_count"),
            headCount: Int("head_count"), headCountKv: Int("head_count_kv", Int("head_count")),
            feedForwardLength: Int("feed_forward_length"), contextLength: Int("context_length", 512),
            qkvBias: Bool("qkv_bias", arch == "qwen2"), tiedOutput: Bool("tied_output", false),
            rmsEpsilon: (float)Num("rms_eps", 1e-6), ropeFreqBase: (float)Num("rope_freq_base", 10000),
            name: Str("name") ?? Path.GetFileNameWithoutExtension(path));
        try { TrainableModel.CheckTrainable(model); }
        catch (ArgumentException e) { throw new InvalidDataException($"{where}: {e.Message}"); }
        float std = (float)Num("init_std", 0.02);
        if (!(std > 0)) throw new InvalidDataException($"{where}: \"init_std\" must be positive");
        return new ModelConfigFile(model, tokPath, std);
    }

    /// <summary>GPT-2 style init: N(0, std) weights, residual projections scaled by 1/sqrt(2 L), norms 1, biases 0.</summary>
    public void Initialize(TrainableModel model, ulong seed)
    {
        var rng = new Xoshiro256StarStar(seed ^ 0x5EED_1A17_0000_0001UL);
        double residualStd = InitStd / Math.Sqrt(2.0 * Model.LayerCount);
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

    /// <summary>Metadata of the new model: its configuration's keys, file type f32, and every tokenizer.* key of the tokenizer file.</summary>
    public List<MetadataEntry> Metadata()
    {
        var list = Model.Metadata().Select(m => new MetadataEntry(m.Key, m.Type, m.Value)).ToList();
        list.Insert(Model.Name == null ? 1 : 2, new("general.file_type", GgufValueType.UInt32, 0u));
        using var tf = GgufFile.Open(TokenizerPath);
        foreach (string k in tf.MetadataKeys)
            if (k.StartsWith("tokenizer.", StringComparison.Ordinal)) list.Add(new(k, tf.MetadataTypes[k], tf.Metadata[k]));
        return list;
    }
}

/// <summary>One GGUF metadata entry kept in memory (copied unchanged into checkpoints and exports).</summary>
public sealed record MetadataEntry(string Key, GgufValueType Type, object Value);
