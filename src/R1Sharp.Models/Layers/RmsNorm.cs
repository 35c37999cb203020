using System.Numerics.Tensors;

namespace R1Sharp.Models.Layers;

/// <summary>RMSNorm: y = x / sqrt(mean(x^2) + eps) * weight (per row).</summary>
public static unsafe class RmsNorm
{
    /// <summary>x, y: [rows, cols] (may alias); weight: [cols].</summary>
    public static void Forward(float* x, float* weight, float* y, int rows, int cols, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            var xs = new ReadOnlySpan<float>(x + (long)r * cols, cols);
            var ys = new Span<float>(y + (long)r * cols, cols);
            // Sum of squares in double like ggml (ggml_float) so long rows do not lose precision.
            double sum = 0;
            int i = 0;
            for (; i + 256 <= cols; i += 256) sum += TensorPrimitives.SumOfSquares(xs.Slice(i, 256));
            if (i < cols) sum += TensorPrimitives.SumOfSquares(xs[i..]);
            float scale = (float)(1.0 / Math.Sqrt(sum / cols + eps));
            TensorPrimitives.Multiply(xs, scale, ys);
            TensorPrimitives.Multiply(ys, new ReadOnlySpan<float>(weight, cols), ys);
        }
    }
}
