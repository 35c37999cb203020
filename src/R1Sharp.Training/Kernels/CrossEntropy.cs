using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Kernels;

/// <summary>
/// Weighted softmax cross-entropy over logits [N, V]: loss = scale * sum_n weight[n] * (logsumexp(z_n) - z_n[target_n]).
/// The backward pass overwrites the logits with dloss/dz = scale * weight[n] * (softmax(z_n) - onehot(target_n));
/// rows of weight 0 are skipped and get a zero gradient.
/// </summary>
internal static unsafe class CrossEntropy
{
    private struct Args { public float* Logits, Weights, Losses; public int* Targets; public int N, V; public float Scale; public bool Grad; }
    private const int RowsPerTask = 16;

    /// <summary>Returns the loss; per-row unweighted losses go to <paramref name="rowLosses"/> [N].</summary>
    public static double ForwardBackward(ComputePool pool, float* logits, int* targets, float* weights, float* rowLosses, int n, int v, float scale, bool writeGradient)
    {
        var a = new Args { Logits = logits, Targets = targets, Weights = weights, Losses = rowLosses, N = n, V = v, Scale = scale, Grad = writeGradient };
        pool.For((n + RowsPerTask - 1) / RowsPerTask, &Rows, &a);
        double total = 0;
        for (int i = 0; i < n; i++) if (weights[i] != 0) total += (double)weights[i] * rowLosses[i];
        return total * scale;
    }

    private static void Rows(int task, void* ctx)
    {
        ref Args a = ref Unsafe.AsRef<Args>(ctx);
        int end = Math.Min(a.N, (task + 1) * RowsPerTask), v = a.V;
        for (int i = task * RowsPerTask; i < end; i++)
        {
            var z = new Span<float>(a.Logits + (long)i * v, v);
            float w = a.Weights[i];
            if (w == 0)
            {
                a.Losses[i] = 0;
                if (a.Grad) z.Clear();
                continue;
            }
            float max = TensorPrimitives.Max(z);
            double sum = 0;
            for (int j = 0; j < v; j++) sum += Math.Exp(z[j] - max);
            int target = a.Targets[i];
            a.Losses[i] = (float)(Math.Log(sum) + max - z[target]);
            if (!a.Grad) continue;
            float k = (float)(1.0 / sum), g = a.Scale * w;
            for (int j = 0; j < v; j++) z[j] = MathF.Exp(z[j] - max) * k * g;
            z[target] -= g;
        }
    }
}
