using R1Sharp.Gguf;
using R1Sharp.Numerics.Tensors;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training;

/// <summary>Writes a training checkpoint's model as a GGUF that llama.cpp and `r1 run` load (no optimizer state).</summary>
public static class Export
{
    /// <summary>
    /// F32 keeps every tensor float32. F16 and Q8_0 convert the 2-D weights (through the Numerics quantizer) and
    /// keep norms and biases in float32 like llama.cpp; a matrix whose rows are not whole Q8_0 blocks stays F16.
    /// </summary>
    public static void Run(string checkpoint, string output, GgmlType type)
    {
        if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.Q8_0)) throw new ArgumentException($"export type must be f32, f16 or q8_0, not {type}");
        if (Directory.Exists(checkpoint)) checkpoint = Path.Combine(checkpoint, Sft.SftTrainer.CheckpointFile);
        if (!File.Exists(checkpoint)) throw new FileNotFoundException($"no checkpoint at {checkpoint}");
        using var file = GgufFile.Open(checkpoint);
        using var pool = new ComputePool(1);
        using var model = ModelGguf.Load(file, pool);
        var w = new GgufWriter();
        w.CopyMetadata(file, k => !k.StartsWith("r1.train.", StringComparison.Ordinal));
        w.Set("general.file_type", type switch { GgmlType.F16 => 1u, GgmlType.Q8_0 => 7u, _ => 0u });
        foreach (var t in model.Parameters.Tensors)
        {
            var tt = t.Rank < 2 ? GgmlType.F32 : type;
            if (tt == GgmlType.Q8_0 && t.Dims[0] % 32 != 0) tt = GgmlType.F16;
            byte[] bytes = ModelGguf.Encode(t, tt);
            w.AddTensor(t.Name, tt, t.Dims, bytes);
        }
        w.Write(output);
    }
}
