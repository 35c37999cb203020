using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Kernels;

/// <summary>
/// Log-probability of each position's target under a temperature-scaled softmax, over logits [N, V]:
/// s = z / temperature, logp[n] = s[target] - logsumexp(s), entropy[n] = -sum softmax(s) log softmax(s).
/// The backward pass overwrites the logits with dloss/dz = (dloss/dlogp[n] / temperature) * (onehot(target) - softmax(s));
/// positions of mask 0 are skipped forward and get a zero gradient.
/// </summary>
public static unsafe class TokenLogProbs
{
    private struct Args
    {
        public float* Logits, Mask;
        public int* Targets;
        public double* LogProbs, Entropy, Lse, DLogProbs;
        public int N, V;
        public double InvTemperature;
    }

    private const int RowsPerTask = 16;

    /// <summary>Fills logp, entropy and the logsumexp of s (kept for <see cref="Backward"/>) [N] where mask != 0 (0 elsewhere).</summary>
    public static void Forward(ComputePool pool, float* logits, int* targets, float* mask, double* logp, double* entropy, double* lse, int n, int v, double temperature)
    {
        var a = new Args { Logits = logits, Targets = targets, Mask = mask, LogProbs = logp, Entropy = entropy, Lse = lse, N = n, V = v, InvTemperature = 1.0 / temperature };
        pool.For((n + RowsPerTask - 1) / RowsPerTask, &ForwardRows, &a);
    }

    /// <summary>Replaces the logits by the gradient of a loss whose derivative in logp[n] is <paramref name="dlogp"/>[n].</summary>
    public static void Backward(ComputePool pool, float* logits, int* targets, float* mask, double* dlogp, double* lse, int n, int v, double temperature)
    {
        var a = new Args { Logits = logits, Targets = targets, Mask = mask, DLogProbs = dlogp, Lse = lse, N = n, V = v, InvTemperature = 1.0 / temperature };
        pool.For((n + RowsPerTask - 1) / RowsPerTask, &BackwardRows, &a);
    }

    private static void ForwardRows(int task, void* ctx)
    {
        ref Args a = ref Unsafe.AsRef<Args>(ctx);
        int end = Math.Min(a.N, (task + 1) * RowsPerTask), v = a.V;
        double k = a.InvTemperature;
        for (int i = task * RowsPerTask; i < end; i++)
        {
            if (a.Mask[i] == 0)
            {
                a.LogProbs[i] = 0; a.Entropy[i] = 0; a.Lse[i] = 0;
                continue;
            }
            float* z = a.Logits + (long)i * v;
            // max of s = z * k is k * max(z) (k > 0)
            double max = TensorPrimitives.Max(new ReadOnlySpan<float>(z, v)) * k;
            // S = sum e^(s - max), U = sum e^(s - max) (s - max): logsumexp = max + log S, entropy = log S - U / S
            double sum = 0, weighted = 0;
            for (int j = 0; j < v; j++)
            {
                double d = z[j] * k - max, e = Math.Exp(d);
                sum += e;
                weighted += e * d;
            }
            double logSum = Math.Log(sum);
            a.Lse[i] = max + logSum;
            a.LogProbs[i] = z[a.Targets[i]] * k - a.Lse[i];
            a.Entropy[i] = logSum - weighted / sum;
        }
    }

    private static void BackwardRows(int task, void* ctx)
    {
        ref Args a = ref Unsafe.AsRef<Args>(ctx);
        int end = Math.Min(a.N, (task + 1) * RowsPerTask), v = a.V;
        double k = a.InvTemperature;
        for (int i = task * RowsPerTask; i < end; i++)
        {
            float* z = a.Logits + (long)i * v;
            if (a.Mask[i] == 0)
            {
                new Span<float>(z, v).Clear();
                continue;
            }
            double g = a.DLogProbs[i] * k, lse = a.Lse[i];
            for (int j = 0; j < v; j++) z[j] = (float)(-g * Math.Exp(z[j] * k - lse));
            z[a.Targets[i]] += (float)g;
        }
    }
}
