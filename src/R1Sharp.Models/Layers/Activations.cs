using System.Numerics.Tensors;

namespace R1Sharp.Models.Layers;

/// <summary>Feed-forward activations.</summary>
public static unsafe class Activations
{
    /// <summary>SwiGLU: output[i] = silu(gate[i]) * up[i], silu(x) = x * sigmoid(x). output may alias gate or up.</summary>
    public static void SwiGlu(float* gate, float* up, float* output, long n)
    {
        Span<float> tmp = stackalloc float[256];
        for (long i = 0; i < n; i += 256)
        {
            int len = (int)Math.Min(256, n - i);
            var g = new ReadOnlySpan<float>(gate + i, len);
            var t = tmp[..len];
            TensorPrimitives.Sigmoid(g, t);
            TensorPrimitives.Multiply(t, g, t);
            TensorPrimitives.Multiply(t, new ReadOnlySpan<float>(up + i, len), new Span<float>(output + i, len));
        }
    }
}
