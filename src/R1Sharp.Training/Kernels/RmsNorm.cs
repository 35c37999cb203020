using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Kernels;

/// <summary>RMSNorm: y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps), per row of C values.</summary>
public static unsafe class RmsNorm
{
    private struct Args { public float* Y, Rstd, X, W, Dy, Dx; public int N, C; public float Eps; }
    private const int RowsPerTask = 32;

    /// <summary>y[N,C], rstd[N] (kept for backward) from x[N,C] and w[C].</summary>
    public static void Forward(ComputePool pool, float* y, float* rstd, float* x, float* w, int n, int c, float eps)
    {
        var a = new Args { Y = y, Rstd = rstd, X = x, W = w, N = n, C = c, Eps = eps };
        pool.For((n + RowsPerTask - 1) / RowsPerTask, &ForwardRows, &a);
    }

    private static void ForwardRows(int task, void* ctx)
    {
        ref Args a = ref Unsafe.AsRef<Args>(ctx);
        int end = Math.Min(a.N, (task + 1) * RowsPerTask);
        var w = new ReadOnlySpan<float>(a.W, a.C);
        for (int i = task * RowsPerTask; i < end; i++)
        {
            var x = new ReadOnlySpan<float>(a.X + (long)i * a.C, a.C);
            float r = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(x) / a.C + a.Eps);
            a.Rstd[i] = r;
            var y = new Span<float>(a.Y + (long)i * a.C, a.C);
            TensorPrimitives.Multiply(x, r, y);
            TensorPrimitives.Multiply(y, w, y);
        }
    }

    /// <summary>dx[N,C] += d/dx; dw[C] += sum_n dy*x*rstd. x, w, rstd as in the forward pass.</summary>
    public static void Backward(ComputePool pool, float* dx, float* dw, float* dy, float* x, float* w, float* rstd, int n, int c)
    {
        var a = new Args { Dx = dx, Dy = dy, X = x, W = w, Rstd = rstd, N = n, C = c };
        pool.For((n + RowsPerTask - 1) / RowsPerTask, &BackwardRows, &a);
        // dw: one pass in row order (deterministic), vectorized over C.
        for (int i = 0; i < n; i++)
        {
            float r = rstd[i];
            float* dyi = dy + (long)i * c, xi = x + (long)i * c;
            for (int j = 0; j < c; j++) dw[j] += dyi[j] * xi[j] * r;
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
