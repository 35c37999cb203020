using System.CommandLine;
using R1Sharp.Models;
using R1Sharp.Models.DeepSeek2;
using R1Sharp.Gguf;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 inspect FILE`: metadata and tensors of a GGUF file.</summary>
internal sealed class InspectCommand : ICliCommand
{
    public int Order => 50;

    public Command Build()
    {
        var file = new Argument<string>("file") { Description = "GGUF model file" };
        var cmd = new Command("inspect", "Show a GGUF file's metadata, tensors, types and memory needs") { file };
        cmd.SetAction(parse => CommandGuard.Run("inspect", () =>
        {
            using var f = GgufFile.Open(parse.GetValue(file)!);
            Console.WriteLine($"{f.Path}: GGUF v{f.Version}, {f.Metadata.Count} metadata keys, {f.Tensors.Count} tensors, {HumanUnits.Bytes(f.FileSize)}");
            foreach (string k in f.MetadataKeys)
            {
                object v = f.Metadata[k];
                string s = v is GgufArray a ? a.ToString() : v.ToString() ?? "";
                if (s.Length > 100) s = s[..100] + "...";
                Console.WriteLine($"  {k} = {s.Replace("\n", "\\n")}");
            }
            foreach (var t in f.Tensors) Console.WriteLine($"  {t}");
            PrintModel(f);
            return 0;
        }));
        return cmd;
    }

    /// <summary>The model's hyperparameters and what running it takes (weights are mapped, the KV cache is float32).</summary>
    private static void PrintModel(GgufFile f)
    {
        long weightBytes = 0, parameters = 0;
        var types = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in f.Tensors)
        {
            weightBytes += t.ByteSize;
            parameters += t.ElementCount;
            types[t.Type.ToString()] = types.GetValueOrDefault(t.Type.ToString()) + 1;
        }
        Console.WriteLine($"tensor types: {string.Join(", ", types.Select(kv => $"{kv.Key} x{kv.Value}"))}");
        Console.WriteLine($"parameters: {parameters:N0} ({HumanUnits.Count(parameters)}); weights: {weightBytes:N0} bytes ({HumanUnits.Bytes(weightBytes)}, {weightBytes * 8.0 / Math.Max(1, parameters):F2} bits/weight)");
        ModelConfig c;
        DeepSeek2Config? d = null;
        try
        {
            if (f.GetString("general.architecture") == "deepseek2")
            {
                d = DeepSeek2Config.FromGguf(f);
                c = d.ToModelConfig(f.GetString("general.name"));
            }
            else c = ModelConfig.FromGguf(f);
        }
        catch (ModelFormatException e)
        {
            Console.WriteLine($"model config: not available ({e.Message})");
            return;
        }
        bool supported = ModelLoader.SupportedArchitectures.Contains(c.Architecture);
        Console.WriteLine($"model config: {c.Architecture}{(supported ? "" : " (architecture not supported by this engine)")}");
        Console.WriteLine($"  layers {c.LayerCount}, hidden {c.EmbeddingLength}, ffn {c.FeedForwardLength}, heads {c.HeadCount} (kv {c.HeadCountKv}), head dim {c.KeyLength}/{c.ValueLength}, vocab {c.VocabSize}");
        Console.WriteLine($"  context {c.ContextLength}, rope {c.RopeStyle} base {c.RopeFreqBase} dims {c.RopeDimensionCount} scale {c.RopeFreqScale}, rms eps {c.RmsEpsilon}");
        long ram = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (d != null)
        {
            var fp = DeepSeek2Footprint.Of(f, d);
            Console.WriteLine($"  MLA: q_lora_rank {d.QLoraRank}, kv_lora_rank {d.KvLoraRank}, qk nope/rope {d.NopeDims}/{d.RopeDims}, v {d.ValueLength}; YaRN factor {1 / d.Rope.FreqScale:G4} over {d.Rope.OriginalContext}");
            Console.WriteLine($"  MoE: {d.LeadingDenseLayers} dense layers, {d.ExpertCount} routed experts ({d.ExpertsUsed} active{(d.ExpertGroups > 1 ? $", {d.ExpertGroupsUsed} of {d.ExpertGroups} groups" : "")}) + {d.SharedExperts} shared, expert ffn {d.ExpertFeedForwardLength}, gating {(d.GatingFunction == 2 ? "sigmoid" : "softmax")}");
            Console.WriteLine($"  active parameters per token: {fp.ActiveParameters:N0} ({HumanUnits.Count(fp.ActiveParameters)} of {HumanUnits.Count(fp.TotalParameters)}); weight bytes read per token: {HumanUnits.Bytes(fp.ActiveWeightBytes)}");
            Console.WriteLine($"memory: weights {HumanUnits.Bytes(weightBytes)} (memory-mapped); compressed MLA cache {fp.KvBytesPerToken:N0} bytes/token (float32; {fp.KvBytesPerToken16:N0} in 16-bit) = {HumanUnits.Bytes(fp.KvBytesPerToken * 4096.0)} for 4096 tokens");
            PrintRamAdvice(weightBytes, fp.ActiveWeightBytes, ram);
            return;
        }
        long kv = c.KvBytesPerToken;
        Console.WriteLine($"memory: weights {HumanUnits.Bytes(weightBytes)} (memory-mapped); KV cache {kv:N0} bytes/token (float32) = {HumanUnits.Bytes(kv * 4096.0)} for 4096 tokens, {HumanUnits.Bytes(kv * (double)c.ContextLength)} for the full context of {c.ContextLength:N0}");
        PrintRamAdvice(weightBytes, weightBytes, ram);
    }

    /// <summary>Weights are memory-mapped: a file larger than RAM still loads, but pages stream from disk while decoding.</summary>
    private static void PrintRamAdvice(long weightBytes, long bytesPerToken, long ram)
    {
        if (weightBytes <= ram * 0.8)
        {
            Console.WriteLine($"fits in RAM ({HumanUnits.Bytes(ram)} available to this process); decode reads about {HumanUnits.Bytes(bytesPerToken)} of weights per token");
            return;
        }
        Console.WriteLine($"larger than RAM ({HumanUnits.Bytes(weightBytes)} of weights, {HumanUnits.Bytes(ram)} RAM): the file is memory-mapped, so it loads, " +
                          $"but the weights that do not stay cached are read from disk again as tokens need them: expect decode to be bound by disk read speed " +
                          $"(about {HumanUnits.Bytes(bytesPerToken)} per token; e.g. 2 GB/s NVMe -> at most {2e9 / Math.Max(1, bytesPerToken):F1} tokens/s)");
    }
}
