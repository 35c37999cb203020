using System.Runtime.InteropServices;
using R1Sharp.Numerics.Gguf;
using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Training;

/// <summary>Reads parameters from GGUF files and writes float32 tensor sets (models, gradients, checkpoints) to GGUF.</summary>
public static unsafe class ModelGguf
{
    /// <summary>Loads a qwen2/llama GGUF model into a new <see cref="TrainableModel"/>.</summary>
    public static TrainableModel Load(GgufFile file, WorkPool pool)
    {
        var model = new TrainableModel(ModelShape.FromGguf(file), pool);
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

    /// <summary>Converts ggml-typed bytes to float32 (F32, F16, BF16; quantized types are not supported as training input).</summary>
    public static void ToFloat(ReadOnlySpan<byte> src, GgmlType type, Span<float> dst, string name)
    {
        switch (type)
        {
            case GgmlType.F32:
                MemoryMarshal.Cast<byte, float>(src)[..dst.Length].CopyTo(dst);
                break;
            case GgmlType.F16:
                var h = MemoryMarshal.Cast<byte, Half>(src);
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)h[i];
                break;
            case GgmlType.BF16:
                var u = MemoryMarshal.Cast<byte, ushort>(src);
                for (int i = 0; i < dst.Length; i++) dst[i] = BitConverter.Int32BitsToSingle(u[i] << 16);
                break;
            default:
                throw new InvalidDataException($"tensor '{name}' is {type}: training starts from F32, F16 or BF16 weights (re-export the model unquantized)");
        }
    }

    /// <summary>Float32 bytes of a slab tensor converted to an export type (F32, F16 for 2-D tensors).</summary>
    public static byte[] Encode(SlabTensor t, GgmlType type)
    {
        var src = t.Span;
        switch (type)
        {
            case GgmlType.F32:
                return MemoryMarshal.AsBytes(src).ToArray();
            case GgmlType.F16:
                var h = new Half[src.Length];
                for (int i = 0; i < src.Length; i++) h[i] = (Half)src[i];
                return MemoryMarshal.AsBytes(h.AsSpan()).ToArray();
            default:
                throw new ArgumentException($"export type {type} is not supported");
        }
    }

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
