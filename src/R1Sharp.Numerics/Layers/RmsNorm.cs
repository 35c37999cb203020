using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Numerics.Layers;

/// <summary>
/// RMSNorm, per row of C values: y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps), the sum of squares in double as
/// ggml does (ggml_float), so long rows lose no precision. The one implementation of inference and training.
/// </summary>
public static unsafe class RmsNorm
{
    private struct Args { public float* Y, Rstd, X, W, Dy, Dx; public int N, C; public float Eps; }
    private const int RowsPerTask = 32;

    /// <summary>x, y: [rows, cols] (may alias); weight: [cols]; rstd: [rows] kept for <see cref="Backward"/>, or null.</summary>
    public static void Forward(float* x, float* weight, float* y, int rows, int cols, float eps, float* rstd = null)
    {
        var w = new ReadOnlySpan<float>(weight, cols);
        for (int r = 0; r < rows; r++)
        {
            var xs = new ReadOnlySpan<float>(x + (long)r * cols, cols);
            var ys = new Span<float>(y + (long)r * cols, cols);
            double sum = 0;
            int i = 0;
            for (; i + 256 <= cols; i += 256) sum += TensorPrimitives.SumOfSquares(xs.Slice(i, 256));
            if (i < cols) sum += TensorPrimitives.SumOfSquares(xs[i..]);
            float scale = (float)(1.0 / Math.Sqrt(sum / cols + eps));
            if (rstd != null) rstd[r] = scale;
            TensorPrimitives.Multiply(xs, scale, ys);
            TensorPrimitives.Multiply(ys, w, ys);
        }
    }

    /// <summary><see cref="Forward(float*, float*, float*, int, int, float, float*)"/> over row blocks on <paramref name="pool"/>.</summary>
    public static void Forward(ComputePool pool, float* x, float* weight, float* y, float* rstd, int rows, int cols, float eps)
    {
        var a = new Args { Y = y, Rstd = rstd, X = x, W = weight, N = rows, C = cols, Eps = eps };
        pool.For((rows + RowsPerTask - 1) / RowsPerTask, &ForwardRows, &a);
    }

    private static void ForwardRows(int task, void* ctx)
    {
        ref Args a = ref Unsafe.AsRef<Args>(ctx);
        int start = task * RowsPerTask, count = Math.Min(a.N, start + RowsPerTask) - start;
        Forward(a.X + (long)start * a.C, a.W, a.Y + (long)start * a.C, count, a.C, a.Eps, a.Rstd == null ? null : a.Rstd + start);
    }

    /// <summary>dx[rows, cols] += d/dx; dw[cols] += sum over rows of dy*x*rstd (in row order: deterministic).
    /// x, w, rstd as in the forward pass.</summary>
    public static void Backward(ComputePool pool, float* dx, float* dw, float* dy, float* x, float* w, float* rstd, int rows, int cols)
    {
        var a = new Args { Dx = dx, Dy = dy, X = x, W = w, Rstd = rstd, N = rows, C = cols };
        pool.For((rows + RowsPerTask - 1) / RowsPerTask, &BackwardRows, &a);
        for (int i = 0; i < rows; i++)
        {
            float r = rstd[i];
            float* dyi = dy + (long)i * cols, xi = x + (long)i * cols;
            for (int j = 0; j < cols; j++) dw[j] += dyi[j] * xi[j] * r;
        }
    }

    private static void BackwardRows(int task, void* ctx)
    {
        ref Args a = ref Unsafe.AsRef<Args>(ctx);
        int end = Math.Min(a.N, (task + 1) * RowsPerTask), c = a.C;
        float* w = a.W;
        for (int i = task * RowsPerTask; i < end; i++)
        {
            float* dy = a.Dy + (long)i * c, x = a.X + (long)i * c, dx = a.Dx + (long)i * c;
            float r = a.Rstd[i];
            float dot = 0;
            for (int j = 0; j < c; j++) dot += dy[j] * w[j] * x[j];
            float k = r * r * r * dot / c;
            for (int j = 0; j < c; j++) dx[j] += r * dy[j] * w[j] - k * x[j];
        }
    }
}
