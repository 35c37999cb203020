using System.Runtime.InteropServices;
using R1Sharp.Gguf;
using R1Sharp.Models;
using R1Sharp.Numerics.Tensors;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training;

/// <summary>Reads parameters from GGUF files and writes float32 tensor sets (models, gradients, checkpoints) to GGUF.</summary>
public static unsafe class ModelGguf
{
    /// <summary>Loads a qwen2/llama GGUF model into a new <see cref="TrainableModel"/> (without gradient memory when
    /// <paramref name="withGradients"/> is false: a frozen model for forward passes).</summary>
    public static TrainableModel Load(GgufFile file, ComputePool pool, bool withGradients = true)
    {
        ModelConfig config;
        try { config = ModelConfig.FromGguf(file); }
        catch (ModelFormatException e) { throw new InvalidDataException(e.Message, e); }
        if (file.TryGetTensor("rope_freqs.weight", out _))
            throw new ArgumentException($"{Path.GetFileName(file.Path)}: llama-3 rope frequency factors (rope_freqs.weight) are not supported for training");
        TrainableModel model;
        try { model = new TrainableModel(config, pool, withGradients); }
        catch (ArgumentException e) { throw new ArgumentException($"{Path.GetFileName(file.Path)}: {e.Message}", e); }
        try { ReadInto(file, model.Parameters, prefix: ""); }
        catch { model.Dispose(); throw; }
        return model;
    }

    /// <summary>Copies tensors named <paramref name="prefix"/>+name from the file into every tensor of the slab (dims must match).</summary>
    public static void ReadInto(GgufFile file, TensorSlab slab, string prefix)
    {
        foreach (var t in slab.Tensors)
        {
            if (!file.TryGetTensor(prefix + t.Name, out var info))
                throw new InvalidDataException($"{Path.GetFileName(file.Path)}: tensor '{prefix + t.Name}' is missing");
            if (!info.Dimensions.SequenceEqual(t.Dims))
                throw new InvalidDataException($"{Path.GetFileName(file.Path)}: tensor '{info.Name}' has dims [{string.Join(", ", info.Dimensions)}], expected [{string.Join(", ", t.Dims)}]");
            ToFloat(file.GetTensorBytes(info), info.Type, t.Span, info.Name);
        }
    }

    /// <summary>Converts ggml-typed bytes (any type the Numerics dequantizer knows) to float32.</summary>
    public static void ToFloat(ReadOnlySpan<byte> src, GgmlType type, Span<float> dst, string name)
    {
        if (type == GgmlType.F32)
        {
            MemoryMarshal.Cast<byte, float>(src)[..dst.Length].CopyTo(dst);
            return;
        }
        int block = GgmlTypeInfo.BlockElements(type);
        if (dst.Length % block != 0) throw new InvalidDataException($"tensor '{name}': {dst.Length} values are not whole {type} blocks");
        fixed (byte* s = src)
        fixed (float* d = dst)
            R1Sharp.Numerics.Kernels.Dequantize.Row(type, s, d, dst.Length);
    }

    /// <summary>The GGUF bytes of a slab tensor in an export type (through the Numerics quantizer).</summary>
    public static byte[] Encode(SlabTensor t, GgmlType type) =>
        type == GgmlType.F32 ? MemoryMarshal.AsBytes(t.Span).ToArray() : Quantizer.Quantize(type, t.Span, (int)t.Dims[0]);

    /// <summary>Adds every tensor of the slab as float32 under <paramref name="prefix"/>+name.</summary>
    public static void AddTensors(GgufWriter w, TensorSlab slab, string prefix = "")
    {
        foreach (var t in slab.Tensors)
        {
            var tensor = t;
            w.AddTensor(prefix + t.Name, GgmlType.F32, t.Dims, () => MemoryMarshal.AsBytes(tensor.Span).ToArray(), t.Length * 4);
        }
    }
}
