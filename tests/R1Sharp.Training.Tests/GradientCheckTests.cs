using R1Sharp.TestSupport;
using R1Sharp.Training.Kernels;
using R1Sharp.Numerics;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Tests;

/// <summary>
/// Finite-difference checks of the training-only backward kernels (the shared layer ops, RmsNorm, Rope and SwiGLU,
/// are checked with their forward passes in R1Sharp.Numerics.Tests/Layers): for a random projection L = sum(r * y) of a kernel's output,
/// each analytic gradient entry must match (L(p + h) - L(p - h)) / 2h.
/// </summary>
public unsafe class GradientCheckTests
{
    private static float[] Random(Xoshiro256StarStar rng, int n, double scale = 1) =>
        Enumerable.Range(0, n).Select(_ => (float)(rng.NextGaussian() * scale)).ToArray();

    [Fact]
    public void Matmul()
    {
        var rng = new Xoshiro256StarStar(1);
        int n = 7, c = 13, oc = 53; // 53 = 32 + 16 + 5 columns: micro-kernel, 16-wide and scalar paths
        float[] x = Random(rng, n * c), w = Random(rng, oc * c, 0.3), b = Random(rng, oc), r = Random(rng, n * oc);
        float[] scratch = new float[c * oc], y = new float[n * oc];
        double Loss()
        {
            fixed (float* px = x, pw = w, pb = b, py = y, ps = scratch) Linear.Forward(ComputePool.Shared, py, px, pw, pb, n, c, oc, ps);
            return GradientCheck.Dot(y, r);
        }
        float[] dx = new float[n * c], dw = new float[oc * c], db = new float[oc];
        fixed (float* pdx = dx, pdw = dw, pdb = db, pr = r, px = x, pw = w)
            Linear.Backward(ComputePool.Shared, pdx, pdw, pdb, pr, px, pw, n, c, oc, accumulateDx: false);
        GradientCheck.Check("dx", x, dx, Loss);
        GradientCheck.Check("dW", w, dw, Loss);
        GradientCheck.Check("dbias", b, db, Loss);
    }

    [Fact]
    public void AttentionBackward()
    {
        var rng = new Xoshiro256StarStar(4);
        int b = 2, t = 5, h = 4, kv = 2, d = 8, n = b * t;
        float[] q = Random(rng, n * h * d), k = Random(rng, n * kv * d), v = Random(rng, n * kv * d), r = Random(rng, n * h * d);
        float[] y = new float[n * h * d], att = new float[b * h * t * t];
        double Loss()
        {
            fixed (float* py = y, pa = att, pq = q, pk = k, pv = v) Attention.Forward(ComputePool.Shared, py, pa, pq, pk, pv, b, t, h, kv, d);
            return GradientCheck.Dot(y, r);
        }
        Loss();
        float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length], scratch = new float[b * kv * t];
        fixed (float* pdq = dq, pdk = dk, pdv = dv, pr = r, pa = att, pq = q, pk = k, pv = v, ps = scratch)
            Attention.Backward(ComputePool.Shared, pdq, pdk, pdv, pr, pa, pq, pk, pv, b, t, h, kv, d, ps);
        GradientCheck.Check("dq", q, dq, Loss);
        GradientCheck.Check("dk", k, dk, Loss);
        GradientCheck.Check("dv", v, dv, Loss);
    }

    [Fact]
    public void CrossEntropyBackward()
    {
        var rng = new Xoshiro256StarStar(6);
        int n = 5, v = 11;
        float[] z = Random(rng, n * v, 2), weights = [1, 0, 0.5f, 2, 1], losses = new float[n];
        int[] targets = [3, 7, 0, 10, 5];
        double Loss()
        {
            float[] copy = (float[])z.Clone();
            fixed (float* pz = copy, pw = weights, pl = losses) fixed (int* pt = targets)
                return CrossEntropy.ForwardBackward(ComputePool.Shared, pz, pt, pw, pl, n, v, 0.25f, writeGradient: false);
        }
        // The loss itself: scale * sum w * (logsumexp - z[target]) computed independently in double.
        double expected = 0;
        for (int i = 0; i < n; i++)
        {
            double max = Enumerable.Range(0, v).Max(j => (double)z[i * v + j]);
            double lse = max + Math.Log(Enumerable.Range(0, v).Sum(j => Math.Exp(z[i * v + j] - max)));
            expected += weights[i] * (lse - z[i * v + targets[i]]);
        }
        Assert.Equal(expected * 0.25, Loss(), 5);
        float[] dz = (float[])z.Clone();
        fixed (float* pz = dz, pw = weights, pl = losses) fixed (int* pt = targets)
            CrossEntropy.ForwardBackward(ComputePool.Shared, pz, pt, pw, pl, n, v, 0.25f, writeGradient: true);
        GradientCheck.Check("dlogits", z, dz, Loss, h: 1e-3f);
    }

    [Fact]
    public void EmbeddingBackward()
    {
        var rng = new Xoshiro256StarStar(7);
        int vocab = 6, c = 4, n = 5;
        int[] tokens = [1, 4, 1, 0, 5];
        float[] table = Random(rng, vocab * c), r = Random(rng, n * c), x = new float[n * c];
        double Loss()
        {
            fixed (float* px = x, pt = table) fixed (int* tk = tokens) Embedding.Forward(px, pt, tk, n, c);
            return GradientCheck.Dot(x, r);
        }
        float[] dt = new float[vocab * c];
        fixed (float* pd = dt, pr = r) fixed (int* tk = tokens) Embedding.Backward(pd, pr, tk, n, c);
        GradientCheck.Check("dtable", table, dt, Loss);
    }

    [Theory]
    [InlineData(1, 1, 1, false)]
    [InlineData(13, 53, 37, false)]
    [InlineData(100, 70, 300, true)]
    [InlineData(49, 129, 260, true)]
    public void GemmMatchesNaiveProductWithStridedA(int m, int p, int k, bool transposedA)
    {
        var rng = new Xoshiro256StarStar((ulong)(m * 1000 + p));
        float[] a = Random(rng, m * k), b = Random(rng, k * p), c = Random(rng, m * p), expected = (float[])c.Clone();
        long sai = transposedA ? 1 : k, sak = transposedA ? m : 1;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < p; j++)
            {
                double s = 0;
                for (int kk = 0; kk < k; kk++) s += (double)a[i * sai + kk * sak] * b[kk * p + j];
                expected[i * p + j] += (float)s;
            }
        fixed (float* pa = a, pb = b, pc = c) Gemm.Run(ComputePool.Shared, pa, sai, sak, pb, p, pc, p, m, p, k, accumulate: true);
        for (int i = 0; i < c.Length; i++) Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])) + 1e-5 * k, $"C[{i}] {c[i]} vs {expected[i]}");
    }
}
