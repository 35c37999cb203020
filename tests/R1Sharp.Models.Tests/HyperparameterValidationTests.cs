using R1Sharp.Gguf;
using R1Sharp.Models.DeepSeek2;

namespace R1Sharp.Models.Tests;

/// <summary>Every hyperparameter is held to a sane range and to the tensors (issue 13 item 5): a bad value is one
/// <see cref="ModelFormatException"/> naming the key, never an OutOfMemoryException, an overflow or a model that loads
/// and computes garbage.</summary>
public sealed class HyperparameterValidationTests
{
    /// <summary>The fixture model with one metadata key replaced (or removed when <paramref name="value"/> is null).</summary>
    private static string WithKey(string model, string key, GgufValueType type, object? value, Action<GgufWriter, GgufFile>? more = null,
                                  Func<string, bool>? keepTensor = null)
    {
        using var src = GgufFile.Open(GoldenFixtures.ModelPath(model));
        var w = new GgufWriter().CopyMetadata(src, k => k != key);
        if (value != null) w.Add(key, type, value);
        foreach (var t in src.Tensors)
            if (keepTensor?.Invoke(t.Name) ?? true) w.AddTensor(t.Name, t.Type, t.Dimensions, src.GetTensorBytes(t).ToArray());
        more?.Invoke(w, src);
        string path = Path.Combine(Path.GetTempPath(), $"r1-hparams-{Guid.NewGuid():N}.gguf");
        w.Write(path);
        return path;
    }

    private static string LoadFails(string path)
    {
        try
        {
            using var f = GgufFile.Open(path);
            var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(f).Dispose());
            Assert.DoesNotContain('\n', e.Message);
            return e.Message;
        }
        finally { File.Delete(path); }
    }

    public static TheoryData<string, string, GgufValueType, object, string> DenseCases() => new()
    {
        // the defects of the issue: an OutOfMemoryException with a stack trace, and two models that loaded and computed garbage
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.block_count", GgufValueType.UInt32, 2147483647u, "'qwen2.block_count' is 2147483647: expected 1 to 4,096" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.rope.freq_base", GgufValueType.Float32, 0f, "'qwen2.rope.freq_base' is 0: expected a finite number above 1" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.rope.freq_base", GgufValueType.Float32, float.NaN, "'qwen2.rope.freq_base' is NaN" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.attention.layer_norm_rms_epsilon", GgufValueType.Float32, -1f, "'qwen2.attention.layer_norm_rms_epsilon' is -1" },
        // and the rest
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.block_count", GgufValueType.UInt32, 3u, "'qwen2.block_count' is 3 but the file has tensors for 2 layers" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.block_count", GgufValueType.String, "2", "'qwen2.block_count' has type String, expected an integer" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.embedding_length", GgufValueType.Int32, -256, "'qwen2.embedding_length' is -256" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.embedding_length", GgufValueType.UInt64, ulong.MaxValue, "'qwen2.embedding_length' has type UInt64" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.attention.head_count", GgufValueType.UInt32, 0u, "'qwen2.attention.head_count' is 0" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.attention.head_count", GgufValueType.UInt32, 6u, "'qwen2.attention.head_count' is 6, which does not divide embedding_length 256" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.attention.head_count_kv", GgufValueType.UInt32, 3u, "'qwen2.attention.head_count_kv' is 3, which does not divide the 4 attention heads" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.attention.head_count_kv", GgufValueType.UInt32, 8u, "'qwen2.attention.head_count_kv' is 8: expected 1 to 4" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.rope.dimension_count", GgufValueType.UInt32, 7u, "'qwen2.rope.dimension_count' is 7: rotary dimensions come in pairs" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.context_length", GgufValueType.Int64, long.MaxValue, "'qwen2.context_length' is 9223372036854775807" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.feed_forward_length", GgufValueType.UInt32, 1u << 30, "'qwen2.feed_forward_length' is 1073741824" },
        { "tiny-qwen2-s1-q8_0.gguf", "qwen2.rope.scaling.type", GgufValueType.String, "linear", "" }, // factor absent: 1 (loads)
        { "tiny-llama-s1-f32.gguf", "llama.attention.layer_norm_rms_epsilon", GgufValueType.Float64, double.PositiveInfinity, "'llama.attention.layer_norm_rms_epsilon' is Infinity" },
        { "tiny-llama-s1-f32.gguf", "llama.rope.scale_linear", GgufValueType.Float32, -2f, "'llama.rope.scale_linear' is -2" },
    };

    [Theory]
    [MemberData(nameof(DenseCases))]
    public void DenseHyperparametersAreChecked(string model, string key, GgufValueType type, object value, string expected)
    {
        string path = WithKey(model, key, type, value);
        if (expected.Length == 0)
        {
            try { using var f = GgufFile.Open(path); ModelLoader.Load(f).Dispose(); }
            finally { File.Delete(path); }
            return;
        }
        Assert.Contains(expected, LoadFails(path));
    }

    [Fact]
    public void AHugeLayerNumberInATensorNameIsAnUnknownTensor()
    {
        // was: an OverflowException from int.Parse
        string path = WithKey("tiny-llama-s1-f32.gguf", "general.name", GgufValueType.String, "x",
            (w, _) => w.AddTensor("blk.99999999999.attn_q.weight", GgmlType.F32, [32], new byte[128]));
        Assert.Contains("unknown tensor 'blk.99999999999.attn_q.weight'", LoadFails(path));
    }

    [Fact]
    public void AOneDimensionalEmbeddingIsRefused()
    {
        // found by the fuzz harness: deepseek2 loaded a token_embd of shape [256] and failed at the first token (ArgumentOutOfRange)
        string path = WithKey("tiny-deepseek2-s1-q8_0.gguf", "general.name", GgufValueType.String, "x", (w, src) =>
        {
            var t = src.GetTensor("token_embd.weight");
            w.AddTensor("token_embd.weight", t.Type, [t.Dimensions[0]], src.GetTensorBytes(t)[..(int)(t.ByteSize / t.Dimensions[1])].ToArray());
        }, keepTensor: n => n != "token_embd.weight");
        Assert.Contains("tensor 'token_embd.weight' has shape [256], expected [embedding, vocabulary]", LoadFails(path));
    }

    [Fact]
    public void MoreTokensThanEmbeddingRowsIsRefused()
    {
        using var src = GgufFile.Open(GoldenFixtures.ModelPath("tiny-llama-s1-f32.gguf"));
        var tokens = src.GetStringArray("tokenizer.ggml.tokens")!.Append("<extra>").ToArray();
        string path = WithKey("tiny-llama-s1-f32.gguf", "tokenizer.ggml.tokens", GgufValueType.Array, new GgufArray(GgufValueType.String, tokens));
        Assert.Contains("tokenizer.ggml.tokens has 323 tokens but token_embd.weight only 322 rows", LoadFails(path));
    }

    public static TheoryData<string, GgufValueType, object, string> DeepSeek2Cases() => new()
    {
        { "deepseek2.block_count", GgufValueType.UInt32, 2147483647u, "'deepseek2.block_count' is 2147483647" },
        { "deepseek2.block_count", GgufValueType.UInt32, 2u, "'deepseek2.block_count' is 2 but the file has tensors for 3 layers" },
        { "deepseek2.rope.freq_base", GgufValueType.Float32, float.NaN, "'deepseek2.rope.freq_base' is NaN" },
        { "deepseek2.attention.layer_norm_rms_epsilon", GgufValueType.Float32, 0f, "'deepseek2.attention.layer_norm_rms_epsilon' is 0" },
        { "deepseek2.expert_used_count", GgufValueType.UInt32, 9u, "'deepseek2.expert_used_count' is 9: expected 1 to 8" },
        { "deepseek2.expert_count", GgufValueType.UInt32, 1u << 30, "'deepseek2.expert_count' is 1073741824" },
        { "deepseek2.expert_gating_func", GgufValueType.UInt32, 7u, "'deepseek2.expert_gating_func' is 7: expected 0 to 2" },
        { "deepseek2.expert_group_count", GgufValueType.UInt32, 3u, "'deepseek2.expert_group_count' is 3, which does not divide the 8 experts" },
        { "deepseek2.leading_dense_block_count", GgufValueType.UInt32, 4u, "'deepseek2.leading_dense_block_count' is 4: expected 0 to 3" },
        { "deepseek2.rope.dimension_count", GgufValueType.UInt32, 48u, "'deepseek2.rope.dimension_count' is 48: expected 2 to 47" },
        { "deepseek2.attention.kv_lora_rank", GgufValueType.UInt32, 0u, "'deepseek2.attention.kv_lora_rank' is 0" },
        { "deepseek2.rope.scaling.factor", GgufValueType.Float32, float.NegativeInfinity, "'deepseek2.rope.scaling.factor' is -Infinity" },
        { "deepseek2.rope.scaling.original_context_length", GgufValueType.UInt32, 0u, "'deepseek2.rope.scaling.original_context_length' is 0" },
        { "deepseek2.expert_weights_scale", GgufValueType.Float32, float.NaN, "'deepseek2.expert_weights_scale' is NaN" },
        { "deepseek2.rope.scaling.attn_factor", GgufValueType.Float32, 0f, "'deepseek2.rope.scaling.attn_factor' is 0: expected a finite number above 0" },
    };

    [Theory]
    [MemberData(nameof(DeepSeek2Cases))]
    public void DeepSeek2HyperparametersAreChecked(string key, GgufValueType type, object value, string expected) =>
        Assert.Contains(expected, LoadFails(WithKey("tiny-deepseek2-s1-q8_0.gguf", key, type, value)));

    [Fact]
    public void RequiredDeepSeek2KeysAreNamedWhenMissing() =>
        Assert.Contains("'deepseek2.attention.q_lora_rank' is missing", LoadFails(WithKey("tiny-deepseek2-s1-q8_0.gguf", "deepseek2.attention.q_lora_rank", GgufValueType.UInt32, null)));

    [Fact]
    public void RouterSurvivesNaNScores()
    {
        // NaN weights in a file give NaN router logits: the router still picks distinct experts (was an IndexOutOfRangeException)
        var router = new ExpertRouter(4, 2, gatingFunction: 1, normalize: true, scale: 1f);
        Span<int> ids = stackalloc int[2];
        Span<float> w = stackalloc float[2];
        router.Route([float.NaN, float.NaN, float.NaN, float.NaN], [], ids, w);
        Assert.Equal([0, 1], ids.ToArray());
        router.Route([float.NaN, 2f, float.NaN, 1f], [], ids, w);
        Assert.Equal(2, ids.ToArray().Distinct().Count());
    }

    [Fact]
    public void AnAllocationBeyondTheMachineIsAClearError()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new NativeBuffer(long.MaxValue / 8).Dispose());
        Assert.Contains("GiB of memory", e.Message);
    }
}
