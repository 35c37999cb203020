using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Kernels;

/// <summary>
/// Causal grouped-query attention over a [B, T] batch (each row its own sequence).
/// q [B*T, H*D], k and v [B*T, KV*D] (query head h reads key/value head h / (H/KV)), y [B*T, H*D],
/// att [B, H, T, T] holds the softmax probabilities (s &lt;= t) for the backward pass.
/// </summary>
public static unsafe class Attention
{
    private struct Args
    {
        public float* Q, K, V, Y, Att, Dq, Dk, Dv, Dy, Scratch;
        public int B, T, H, KV, D;
        public float Scale;
    }

    public static void Forward(ComputePool pool, float* y, float* att, float* q, float* k, float* v, int b, int t, int h, int kv, int d)
    {
        var a = new Args { Y = y, Att = att, Q = q, K = k, V = v, B = b, T = t, H = h, KV = kv, D = d, Scale = 1f / MathF.Sqrt(d) };
        pool.For(b * h, &ForwardHead, &a);
    }

    private static void ForwardHead(int task, void* ctx)
    {
        ref Args a = ref Unsafe.AsRef<Args>(ctx);
        int b = task / a.H, h = task % a.H, kvh = h / (a.H / a.KV), T = a.T, D = a.D;
        long qStride = (long)a.H * D, kStride = (long)a.KV * D;
        for (int t = 0; t < T; t++)
        {
            var qt = new ReadOnlySpan<float>(a.Q + (b * T + t) * qStride + h * D, D);
            float* row = a.Att + ((long)(b * a.H + h) * T + t) * T;
            float max = float.NegativeInfinity;
            for (int s = 0; s <= t; s++)
            {
                float sc = TensorPrimitives.Dot(qt, new ReadOnlySpan<float>(a.K + (b * T + s) * kStride + kvh * D, D)) * a.Scale;
                row[s] = sc;
                if (sc > max) max = sc;
            }
            float sum = 0;
            for (int s = 0; s <= t; s++) { float e = MathF.Exp(row[s] - max); row[s] = e; sum += e; }
            float inv = 1f / sum;
            for (int s = 0; s <= t; s++) row[s] *= inv;
            for (int s = t + 1; s < T; s++) row[s] = 0;
            var yt = new Span<float>(a.Y + (b * T + t) * qStride + h * D, D);
            yt.Clear();
            for (int s = 0; s <= t; s++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(a.V + (b * T + s) * kStride + kvh * D, D), row[s], yt, yt);
        }
    }

    /// <summary>dq (overwritten), dk and dv (overwritten) from dy. <paramref name="scratch"/>: B*KV*T floats.</summary>
    public static void Backward(ComputePool pool, float* dq, float* dk, float* dv, float* dy, float* att, float* q, float* k, float* v,
                                int b, int t, int h, int kv, int d, float* scratch)
    {
        var a = new Args
        {
            Dq = dq, Dk = dk, Dv = dv, Dy = dy, Att = att, Q = q, K = k, V = v, Scratch = scratch,
            B = b, T = t, H = h, KV = kv, D = d, Scale = 1f / MathF.Sqrt(d),
        };
        pool.For(b * kv, &BackwardGroup, &a);
    }

    private static void BackwardGroup(int task, void* ctx)
    {
        ref Args a = ref Unsafe.AsRef<Args>(ctx);
        int b = task / a.KV, kvh = task % a.KV, T = a.T, D = a.D, rep = a.H / a.KV;
        long qStride = (long)a.H * D, kStride = (long)a.KV * D;
        float* dp = a.Scratch + (long)task * T;
        for (int s = 0; s < T; s++)
        {
            new Span<float>(a.Dk + (b * T + s) * kStride + kvh * D, D).Clear();
            new Span<float>(a.Dv + (b * T + s) * kStride + kvh * D, D).Clear();
        }
        for (int h = kvh * rep; h < (kvh + 1) * rep; h++)
            for (int t = 0; t < T; t++)
            {
                float* row = a.Att + ((long)(b * a.H + h) * T + t) * T;
                var dyt = new ReadOnlySpan<float>(a.Dy + (b * T + t) * qStride + h * D, D);
                var qt = new ReadOnlySpan<float>(a.Q + (b * T + t) * qStride + h * D, D);
                float dot = 0;
                for (int s = 0; s <= t; s++)
                {
                    dp[s] = TensorPrimitives.Dot(dyt, new ReadOnlySpan<float>(a.V + (b * T + s) * kStride + kvh * D, D));
                    dot += row[s] * dp[s];
                }
                var dqt = new Span<float>(a.Dq + (b * T + t) * qStride + h * D, D);
                dqt.Clear();
                for (int s = 0; s <= t; s++)
                {
                    float ds = row[s] * (dp[s] - dot) * a.Scale;
                    long ko = (b * T + s) * kStride + kvh * D;
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(a.K + ko, D), ds, dqt, dqt);
                    var dks = new Span<float>(a.Dk + ko, D);
                    TensorPrimitives.MultiplyAdd(qt, ds, dks, dks);
                    var dvs = new Span<float>(a.Dv + ko, D);
                    TensorPrimitives.MultiplyAdd(dyt, row[s], dvs, dvs);
                }
            }
    }
}
