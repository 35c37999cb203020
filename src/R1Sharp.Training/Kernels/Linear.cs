using System.Numerics.Tensors;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Kernels;

/// <summary>A linear layer y = x W^T + b with W [OC, C] row-major (a GGUF tensor with dims [C, OC]).</summary>
internal static unsafe class Linear
{
    /// <summary>y[N,OC] = x[N,C] W[OC,C]^T (+ bias[OC]). <paramref name="scratch"/> holds C*OC floats (W transposed).</summary>
    public static void Forward(ComputePool pool, float* y, float* x, float* w, float* bias, int n, int c, int oc, float* scratch)
    {
        Gemm.Transpose(w, scratch, oc, c);
        if (bias != null)
            for (int i = 0; i < n; i++) new ReadOnlySpan<float>(bias, oc).CopyTo(new Span<float>(y + (long)i * oc, oc));
        Gemm.Run(pool, x, c, 1, scratch, oc, y, oc, n, oc, c, accumulate: bias != null);
    }

    /// <summary>dx[N,C] (= or +=) dy W; dW[OC,C] += dy^T x; dbias[OC] += sum over rows of dy. dx/dbias may be null.</summary>
    public static void Backward(ComputePool pool, float* dx, float* dw, float* dbias, float* dy, float* x, float* w,
                                int n, int c, int oc, bool accumulateDx)
    {
        if (dx != null) Gemm.Run(pool, dy, oc, 1, w, c, dx, c, n, c, oc, accumulateDx);
        Gemm.Run(pool, dy, 1, oc, x, c, dw, c, oc, c, n, accumulate: true);
        if (dbias != null)
        {
            var db = new Span<float>(dbias, oc);
            for (int i = 0; i < n; i++) TensorPrimitives.Add(db, new ReadOnlySpan<float>(dy + (long)i * oc, oc), db);
        }
    }
}
