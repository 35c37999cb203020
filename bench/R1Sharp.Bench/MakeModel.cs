using R1Sharp.Gguf;
using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Bench;

/// <summary>Writes a random-weight GGUF with the exact DeepSeek-R1-Distill-Qwen-1.5B shape and llama.cpp's qwen2
/// metadata (tokenizer copied from tests/fixtures/vocab/ggml-vocab-deepseek-r1-qwen.gguf) with the project's GgufWriter.</summary>
internal static unsafe class MakeModel
{
    public static int Run(string[] args)
    {
        string mix = (Args.Get(args, "--type") ?? "q8_0").ToLowerInvariant();
        if (!Qwen15BShape.Mixes.ContainsKey(mix)) { Console.Error.WriteLine($"--type must be one of {string.Join(", ", Qwen15BShape.Mixes.Keys)}"); return 2; }
        string root = Args.RepoRoot();
        string output = Args.Get(args, "--out") ?? Path.Combine("/tmp", $"r1-distill-qwen-1.5b-random-{mix}.gguf");
        string vocabPath = Args.Get(args, "--vocab") ?? Path.Combine(root, "tests", "fixtures", "vocab", "ggml-vocab-deepseek-r1-qwen.gguf");
        using var vocab = GgufFile.Open(vocabPath);

        const int H = Qwen15BShape.Hidden;
        var w = new GgufWriter();
        w.Set("general.architecture", "qwen2")
         .Set("general.type", "model")
         .Set("general.name", "DeepSeek R1 Distill Qwen 1.5B (random weights)")
         .Set("general.basename", "DeepSeek-R1-Distill-Qwen")
         .Set("general.size_label", "1.5B")
         .Set("qwen2.block_count", (uint)Qwen15BShape.Layers)
         .Set("qwen2.context_length", 131072u)
         .Set("qwen2.embedding_length", (uint)H)
         .Set("qwen2.feed_forward_length", (uint)Qwen15BShape.Ffn)
         .Set("qwen2.attention.head_count", (uint)Qwen15BShape.Heads)
         .Set("qwen2.attention.head_count_kv", (uint)Qwen15BShape.KvHeads)
         .Set("qwen2.rope.freq_base", 10000f)
         .Set("qwen2.attention.layer_norm_rms_epsilon", 1e-6f)
         .Set("general.file_type", Qwen15BShape.Mixes[mix])
         .CopyMetadata(vocab, k => k.StartsWith("tokenizer.", StringComparison.Ordinal))
         .Set("general.quantization_version", 2u);

        int seed = 1;
        var norms = Enumerable.Repeat(1f, H).ToArray();
        void Matrix(string name, int rows, int cols)
        {
            var type = Qwen15BShape.TypeOf(name, mix);
            int s = seed++;
            long size = GgmlTypeInfo.RowBytes(type, cols) * rows;
            w.AddTensor(name, type, [cols, rows], () => Random(type, rows, cols, s), size);
        }
        void Vector(string name, int n, float value, bool random)
        {
            var v = random ? RandomFloats(n, seed++, 0.1f) : Enumerable.Repeat(value, n).ToArray();
            w.AddTensor(name, [n], v);
        }

        // llama.cpp's converter order: token_embd, per layer (norms, q/k/v with biases, output, ffn), output_norm, output
        Matrix("token_embd.weight", Qwen15BShape.Vocab, H);
        for (int l = 0; l < Qwen15BShape.Layers; l++)
        {
            Vector($"blk.{l}.attn_norm.weight", H, 1f, false);
            Matrix($"blk.{l}.attn_q.weight", Qwen15BShape.Heads * Qwen15BShape.HeadDim, H);
            Vector($"blk.{l}.attn_q.bias", Qwen15BShape.Heads * Qwen15BShape.HeadDim, 0, true);
            Matrix($"blk.{l}.attn_k.weight", Qwen15BShape.KvHeads * Qwen15BShape.HeadDim, H);
            Vector($"blk.{l}.attn_k.bias", Qwen15BShape.KvHeads * Qwen15BShape.HeadDim, 0, true);
            Matrix($"blk.{l}.attn_v.weight", Qwen15BShape.KvHeads * Qwen15BShape.HeadDim, H);
            Vector($"blk.{l}.attn_v.bias", Qwen15BShape.KvHeads * Qwen15BShape.HeadDim, 0, true);
            Matrix($"blk.{l}.attn_output.weight", H, Qwen15BShape.Heads * Qwen15BShape.HeadDim);
            Vector($"blk.{l}.ffn_norm.weight", H, 1f, false);
            Matrix($"blk.{l}.ffn_gate.weight", Qwen15BShape.Ffn, H);
            Matrix($"blk.{l}.ffn_up.weight", Qwen15BShape.Ffn, H);
            Matrix($"blk.{l}.ffn_down.weight", H, Qwen15BShape.Ffn);
        }
        Vector("output_norm.weight", H, 1f, false);
        Matrix("output.weight", Qwen15BShape.Vocab, H);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        w.Write(output);
        Console.WriteLine($"wrote {output} ({new FileInfo(output).Length / 1e9:F2} GB, {mix}) in {sw.Elapsed.TotalSeconds:F0} s");
        return 0;
    }

    /// <summary>Uniform weights in [-a, a) with a = sqrt(3/cols) (unit-variance outputs for unit-variance inputs), quantized.</summary>
    private static ReadOnlyMemory<byte> Random(GgmlType type, int rows, int cols, int seed)
    {
        long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
        var bytes = new byte[rowBytes * rows];
        float a = MathF.Sqrt(3f / cols);
        const int Chunk = 256;
        Parallel.For(0, (rows + Chunk - 1) / Chunk, c =>
        {
            var x = new float[cols];
            ulong state = (ulong)(seed * 0x9E3779B9L + c * 7919L + 1);
            fixed (float* xp = x)
            fixed (byte* yp = bytes)
                for (int r = c * Chunk; r < Math.Min(rows, (c + 1) * Chunk); r++)
                {
                    for (int i = 0; i < cols; i++)
                    {
                        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                        x[i] = ((state >> 40) * (1f / (1 << 24)) * 2 - 1) * a;
                    }
                    Quantizer.QuantizeRow(type, xp, yp + r * rowBytes, cols);
                }
        });
        return bytes;
    }

    private static float[] RandomFloats(int n, int seed, float scale)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return v;
    }
}
