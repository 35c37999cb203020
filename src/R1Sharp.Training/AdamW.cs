using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training;

/// <summary>Hyperparameters of <see cref="AdamW"/>.</summary>
public sealed record AdamWOptions
{
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;
    public float Eps { get; init; } = 1e-8f;
    /// <summary>Decoupled weight decay, applied to 2-D (matrix) tensors only; norms and biases are never decayed.</summary>
    public float WeightDecay { get; init; } = 0.01f;

    /// <summary>Throws <see cref="ArgumentException"/> naming the CLI flag of the first bad value.</summary>
    public void Validate()
    {
        if (!(Beta1 >= 0 && Beta1 < 1 && Beta2 >= 0 && Beta2 < 1)) throw new ArgumentException("--adam-betas must both be in [0, 1)");
        if (!(Eps > 0)) throw new ArgumentException("--adam-eps must be positive");
        if (!(WeightDecay >= 0)) throw new ArgumentException("--weight-decay must be >= 0");
    }
}

/// <summary>
/// AdamW with torch.optim.AdamW semantics: p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
/// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). The moments live in two slabs laid out like the parameters.
/// </summary>
public sealed unsafe class AdamW : IDisposable
{
    private struct Args { public float* P, G, M, V; public long Len; public float Decay, B1, B2, StepSize, Bc2Sqrt, Eps; }
    private const int Chunk = 1 << 16;
    private readonly ComputePool _pool;

    public AdamWOptions Options { get; }
    public TensorSlab M { get; } = new();
    public TensorSlab V { get; } = new();
    /// <summary>Number of updates applied so far (the t of the bias corrections).</summary>
    public long StepCount { get; set; }

    public AdamW(TensorSlab parameters, AdamWOptions options, ComputePool pool)
    {
        Options = options;
        _pool = pool;
        foreach (var t in parameters.Tensors) { M.Add(t.Name, t.Dims); V.Add(t.Name, t.Dims); }
        M.Allocate();
        V.Allocate();
    }

    /// <summary>sqrt(sum g^2) over all gradients (float per tensor, double across tensors, fixed order).</summary>
    public static double GradNorm(TensorSlab grads)
    {
        double s = 0;
        foreach (var t in grads.Tensors) s += TensorPrimitives.SumOfSquares<float>(t.Span);
        return Math.Sqrt(s);
    }

    /// <summary>torch.nn.utils.clip_grad_norm_: scales the gradients by max/(norm+1e-6) when that is below 1. Returns the norm before clipping.</summary>
    public static double ClipGradNorm(TensorSlab grads, double maxNorm)
    {
        double norm = GradNorm(grads);
        if (maxNorm > 0)
        {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) TensorPrimitives.Multiply(grads.All, (float)coef, grads.All);
        }
        return norm;
    }

    public void Update(TensorSlab parameters, TensorSlab grads, double lr)
    {
        StepCount++;
        var o = Options;
        double bc1 = 1 - Math.Pow(o.Beta1, StepCount), bc2 = 1 - Math.Pow(o.Beta2, StepCount);
        for (int i = 0; i < parameters.Tensors.Count; i++)
        {
            var p = parameters.Tensors[i];
            var a = new Args
            {
                P = p.Data, G = grads.Tensors[i].Data, M = M.Tensors[i].Data, V = V.Tensors[i].Data, Len = p.Length,
                Decay = (float)(1 - lr * (p.Rank >= 2 ? o.WeightDecay : 0)), B1 = o.Beta1, B2 = o.Beta2,
                StepSize = (float)(lr / bc1), Bc2Sqrt = (float)Math.Sqrt(bc2), Eps = o.Eps,
            };
            _pool.For((int)((p.Length + Chunk - 1) / Chunk), &UpdateChunk, &a);
        }
    }

    private static void UpdateChunk(int task, void* ctx)
    {
        ref Args a = ref Unsafe.AsRef<Args>(ctx);
        long end = Math.Min(a.Len, (long)(task + 1) * Chunk);
        float b1 = a.B1, b2 = a.B2, c1 = 1 - b1, c2 = 1 - b2;
        for (long i = (long)task * Chunk; i < end; i++)
        {
            float g = a.G[i];
            float m = b1 * a.M[i] + c1 * g;
            float v = b2 * a.V[i] + c2 * g * g;
            a.M[i] = m;
            a.V[i] = v;
            a.P[i] = a.P[i] * a.Decay - a.StepSize * m / (MathF.Sqrt(v) / a.Bc2Sqrt + a.Eps);
        }
    }

    public void Dispose()
    {
        M.Dispose();
        V.Dispose();
    }
}
