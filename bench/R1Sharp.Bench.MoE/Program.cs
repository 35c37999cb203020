using System.Diagnostics;
using R1Sharp.Models;
using R1Sharp.Models.DeepSeek2;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics.Tensors;

// Decode speed of DeepSeek-V3/R1-shaped models as the number of routed experts grows with the active count fixed:
// decode reads only the experts each token selected, so time per token must follow ACTIVE parameters, not total.
// Shape: R1's layer structure scaled down ("R1-mini": see docs/deepseek2.md).
// Prefill: one batch of --prefill tokens (median of 3), where the MoE layers run each expert once over its tokens.
// usage: dotnet run -c Release --project bench/R1Sharp.Bench.MoE [-- --threads 2 --tokens 32 --experts 16,64,256
//        --ffn 256 --prefill 128]   (the R1-mini: --experts 64 --ffn 512)
int threads = 2, tokens = 32, ffn = 256, prefill = 128;
int[] expertCounts = [16, 64, 256];
for (int i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--threads") threads = int.Parse(args[i + 1]);
    if (args[i] == "--tokens") tokens = int.Parse(args[i + 1]);
    if (args[i] == "--ffn") ffn = int.Parse(args[i + 1]);
    if (args[i] == "--prefill") prefill = int.Parse(args[i + 1]);
    if (args[i] == "--experts") expertCounts = args[i + 1].Split(',').Select(int.Parse).ToArray();
}
string dir = Path.Combine(Path.GetTempPath(), "r1sharp-moe-bench");
Directory.CreateDirectory(dir);
Console.WriteLine($"R1-mini, Q8_0, expert FFN {ffn}, {threads} threads, {tokens} decode tokens after a 16-token prompt, prefill of {prefill} tokens, machine: {Environment.ProcessorCount} cores");
Console.WriteLine("| routed experts | active | total params | active params/token | weight MiB | KV bytes/token | decode ms/token | tokens/s | prefill t/s (CPU time) |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
foreach (int experts in expertCounts)
{
    string path = Path.Combine(dir, $"r1-mini-e{experts}-f{ffn}.gguf");
    if (!File.Exists(path)) R1Mini.Write(path, experts, ffn);
    using var file = GgufFile.Open(path);
    using var model = (DeepSeek2Model)ModelLoader.Load(file, new ModelLoadOptions { Threads = threads });
    var fp = DeepSeek2Footprint.Of(file, model.Hyper);
    using var seq = model.CreateSequence(16 + tokens + 1);
    var logits = new float[model.Config.VocabSize];
    var rng = new Random(1);
    model.Forward([new ForwardItem(seq, Enumerable.Range(0, 16).Select(_ => rng.Next(model.Config.VocabSize)).ToArray(), logits)]);
    var sw = new Stopwatch();
    for (int t = 0; t < tokens; t++)
    {
        int next = rng.Next(model.Config.VocabSize);   // random tokens: routing spreads over the experts like real text
        if (t == 4) sw.Start();                        // first steps warm up the JIT
        model.Forward([new ForwardItem(seq, new[] { next }, logits)]);
    }
    sw.Stop();
    double ms = sw.Elapsed.TotalMilliseconds / (tokens - 4);
    var prefillTimes = new List<double>();
    int[] prompt = Enumerable.Range(0, prefill).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
    for (int rep = 0; rep < 3; rep++)
    {
        using var ps = model.CreateSequence(prefill);
        // process CPU seconds / threads: the time with the cores to itself on a shared machine (counts spinning too)
        double cpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        model.Forward([new ForwardItem(ps, prompt, logits)]);
        prefillTimes.Add((Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - cpu0) / threads);
    }
    prefillTimes.Sort();
    Console.WriteLine($"| {experts} | {model.Hyper.ExpertsUsed}+{model.Hyper.SharedExperts} shared | {fp.TotalParameters / 1e6:F0}M | {fp.ActiveParameters / 1e6:F0}M | {fp.WeightBytes / 1048576.0:F0} | {fp.KvBytesPerToken} | {ms:F1} | {1000 / ms:F1} | {prefill / prefillTimes[1]:F0} |");
}

/// <summary>Writes a random-weight deepseek2 GGUF with R1's structure scaled down.</summary>
internal static class R1Mini
{
    public const int Embd = 1024, Layers = 8, Dense = 1, Heads = 16, QLora = 384, KvLora = 128, Nope = 64, RopeDims = 32, VDim = 64;
    public const int DenseFfn = 2816, Used = 8, Vocab = 8192;

    public static void Write(string path, int experts, int expertFfn)
    {
        var rng = new Random(experts);
        var w = new GgufWriter();
        const string a = "deepseek2.";
        w.Set("general.architecture", "deepseek2").Set("general.name", $"r1-mini-e{experts}")
         .Set(a + "context_length", 4096u).Set(a + "embedding_length", (uint)Embd).Set(a + "block_count", (uint)Layers)
         .Set(a + "feed_forward_length", (uint)DenseFfn).Set(a + "attention.head_count", (uint)Heads).Set(a + "attention.head_count_kv", (uint)Heads)
         .Set(a + "rope.freq_base", 10000f).Set(a + "attention.layer_norm_rms_epsilon", 1e-6f)
         .Set(a + "leading_dense_block_count", (uint)Dense).Set(a + "attention.q_lora_rank", (uint)QLora).Set(a + "attention.kv_lora_rank", (uint)KvLora)
         .Set(a + "attention.key_length", (uint)(Nope + RopeDims)).Set(a + "attention.value_length", (uint)VDim).Set(a + "rope.dimension_count", (uint)RopeDims)
         .Set(a + "expert_feed_forward_length", (uint)expertFfn).Set(a + "expert_count", (uint)experts).Set(a + "expert_used_count", (uint)Used)
         .Set(a + "expert_shared_count", 1u).Set(a + "expert_weights_scale", 2.5f).Set(a + "expert_weights_norm", true).Set(a + "expert_gating_func", 2u)
         .Set(a + "expert_group_count", (uint)Math.Min(8, experts / 2)).Set(a + "expert_group_used_count", (uint)Math.Min(4, experts / 4))
         .Set(a + "rope.scaling.type", "yarn").Set(a + "rope.scaling.factor", 40f).Set(a + "rope.scaling.original_context_length", 4096u)
         .Set(a + "rope.scaling.yarn_log_multiplier", 0.1f);
        void M(string name, int cols, int rows, int stack = 1, GgmlType type = GgmlType.Q8_0)
        {
            long n = (long)cols * rows * stack;
            var v = new float[n];
            float scale = 1f / MathF.Sqrt(cols);
            for (long i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
            long[] dims = stack == 1 ? [cols, rows] : [cols, rows, stack];
            if (type == GgmlType.F32) w.AddTensor(name, dims, v);
            else w.AddTensor(name, type, dims, Quantizer.Quantize(type, v, cols));
        }
        void N(string name, int n) => w.AddTensor(name, [n], Enumerable.Repeat(1f, n).ToArray());
        M("token_embd.weight", Embd, Vocab);
        N("output_norm.weight", Embd);
        M("output.weight", Embd, Vocab);
        for (int l = 0; l < Layers; l++)
        {
            string p = $"blk.{l}.";
            N(p + "attn_norm.weight", Embd);
            M(p + "attn_q_a.weight", Embd, QLora); N(p + "attn_q_a_norm.weight", QLora);
            M(p + "attn_q_b.weight", QLora, Heads * (Nope + RopeDims));
            M(p + "attn_kv_a_mqa.weight", Embd, KvLora + RopeDims); N(p + "attn_kv_a_norm.weight", KvLora);
            M(p + "attn_kv_b.weight", KvLora, Heads * (Nope + VDim));
            M(p + "attn_output.weight", Heads * VDim, Embd);
            N(p + "ffn_norm.weight", Embd);
            if (l < Dense)
            {
                M(p + "ffn_gate.weight", Embd, DenseFfn); M(p + "ffn_up.weight", Embd, DenseFfn); M(p + "ffn_down.weight", DenseFfn, Embd);
                continue;
            }
            M(p + "ffn_gate_inp.weight", Embd, experts, type: GgmlType.F32);
            w.AddTensor(p + "exp_probs_b.bias", [experts], new float[experts]);
            M(p + "ffn_gate_exps.weight", Embd, expertFfn, experts); M(p + "ffn_up_exps.weight", Embd, expertFfn, experts);
            M(p + "ffn_down_exps.weight", expertFfn, Embd, experts);
            M(p + "ffn_gate_shexp.weight", Embd, expertFfn); M(p + "ffn_up_shexp.weight", Embd, expertFfn); M(p + "ffn_down_shexp.weight", expertFfn, Embd);
        }
        w.Write(path);
    }
}
