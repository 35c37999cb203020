using R1Sharp.TestSupport;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics.Layers;

namespace R1Sharp.Numerics.Tests.Layers;

/// <summary>
/// The layer ops shared by inference and training: each forward pass against a float64 reference written from the
/// formula, each backward pass against central finite differences of L = sum(r * y) for a random projection r.
/// </summary>
public unsafe class LayerOpTests
{
    private static float[] Random(Xoshiro256StarStar rng, int n, double scale = 1) =>
        Enumerable.Range(0, n).Select(_ => (float)(rng.NextGaussian() * scale)).ToArray();

    private static void AssertClose(double[] expected, float[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Math.Abs(expected[i])), $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(3, 24)]
    [InlineData(70, 600)] // rows over several pool tasks, columns over several double-summed chunks
    public void RmsNormForwardMatchesFloat64(int rows, int cols)
    {
        var rng = new Xoshiro256StarStar(1);
        float[] x = Random(rng, rows * cols, 3), w = Random(rng, cols);
        const float eps = 1e-6f;
        var expected = new double[rows * cols];
        var expectedRstd = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int j = 0; j < cols; j++) ss += (double)x[r * cols + j] * x[r * cols + j];
            expectedRstd[r] = 1 / Math.Sqrt(ss / cols + eps);
            for (int j = 0; j < cols; j++) expected[r * cols + j] = x[r * cols + j] * expectedRstd[r] * w[j];
        }
        float[] serial = new float[rows * cols], pooled = new float[rows * cols], rstd = new float[rows];
        using var pool = new ComputePool(2);
        fixed (float* px = x, pw = w, ps = serial, pp = pooled, pr = rstd)
        {
            RmsNorm.Forward(px, pw, ps, rows, cols, eps);
            RmsNorm.Forward(pool, px, pw, pp, pr, rows, cols, eps);
        }
        AssertClose(expected, serial, 1e-5);
        Assert.Equal(serial, pooled);
        AssertClose(expectedRstd, rstd, 1e-6);
    }

    [Fact]
    public void RmsNormBackwardMatchesFiniteDifferences()
    {
        var rng = new Xoshiro256StarStar(2);
        int n = 5, c = 24;
        float[] x = Random(rng, n * c), w = Random(rng, c), r = Random(rng, n * c), y = new float[n * c], rstd = new float[n];
        double Loss()
        {
            fixed (float* px = x, pw = w, py = y, prs = rstd) RmsNorm.Forward(ComputePool.Shared, px, pw, py, prs, n, c, 1e-5f);
            return GradientCheck.Dot(y, r);
        }
        Loss();
        float[] dx = new float[n * c], dw = new float[c];
        fixed (float* pdx = dx, pdw = dw, pr = r, px = x, pw = w, prs = rstd) RmsNorm.Backward(ComputePool.Shared, pdx, pdw, pr, px, pw, prs, n, c);
        GradientCheck.Check("dx", x, dx, Loss);
        GradientCheck.Check("dw", w, dw, Loss);
    }

    [Theory]
    [InlineData(true, 16, 1f, false)]
    [InlineData(false, 16, 1f, false)]
    [InlineData(false, 8, 0.25f, true)] // partial rotation, linear scaling, llama-3 frequency factors
    [InlineData(true, 8, 1f, false)]
    public void RopeForwardMatchesFloat64(bool neox, int ropeDims, float freqScale, bool factors)
    {
        var rng = new Xoshiro256StarStar(3);
        const int heads = 3, headDim = 16, position = 37;
        const float freqBase = 10000f;
        float[] x = Random(rng, heads * headDim), f = Enumerable.Range(0, ropeDims / 2).Select(i => 1f + i).ToArray();
        float[] cos = new float[ropeDims / 2], sin = new float[ropeDims / 2], y = (float[])x.Clone();
        fixed (float* pf = f, pc = cos, ps = sin, py = y)
        {
            Rope.Angles(position, ropeDims, freqBase, freqScale, factors ? pf : null, pc, ps);
            Rope.Forward(py, heads, headDim, ropeDims, neox, pc, ps);
        }
        var expected = x.Select(v => (double)v).ToArray();
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < ropeDims / 2; i++)
            {
                double theta = position * freqScale * Math.Pow(freqBase, -2.0 * i / ropeDims) / (factors ? f[i] : 1);
                int a = h * headDim + (neox ? i : 2 * i), b = h * headDim + (neox ? i + ropeDims / 2 : 2 * i + 1);
                expected[a] = x[a] * Math.Cos(theta) - x[b] * Math.Sin(theta);
                expected[b] = x[a] * Math.Sin(theta) + x[b] * Math.Cos(theta);
            }
        AssertClose(expected, y, 1e-5);
    }

    [Theory, InlineData(true), InlineData(false)]
    public void RopeBackwardMatchesFiniteDifferencesAndInvertsTheForward(bool neox)
    {
        var rng = new Xoshiro256StarStar(4);
        const int heads = 2, d = 8;
        float[] x = Random(rng, heads * d), r = Random(rng, heads * d), cos = new float[d / 2], sin = new float[d / 2];
        fixed (float* pc = cos, ps = sin) Rope.Angles(5, d, 100f, 1f, null, pc, ps);
        double Loss()
        {
            float[] y = (float[])x.Clone();
            fixed (float* py = y, pc = cos, ps = sin) Rope.Forward(py, heads, d, d, neox, pc, ps);
            return GradientCheck.Dot(y, r);
        }
        float[] dx = (float[])r.Clone();
        fixed (float* p = dx, pc = cos, ps = sin) Rope.Backward(p, heads, d, d, neox, pc, ps);
        GradientCheck.Check("dx", x, dx, Loss);

        float[] roundTrip = (float[])x.Clone();
        fixed (float* p = roundTrip, pc = cos, ps = sin)
        {
            Rope.Forward(p, heads, d, d, neox, pc, ps);
            Rope.Backward(p, heads, d, d, neox, pc, ps);
        }
        AssertClose(x.Select(v => (double)v).ToArray(), roundTrip, 1e-6);
    }

    [Theory]
    [InlineData(40)]
    [InlineData(40_000)] // several pool chunks
    public void SwiGluForwardMatchesFloat64(int n)
    {
        var rng = new Xoshiro256StarStar(5);
        float[] g = Random(rng, n, 4), u = Random(rng, n), serial = new float[n], pooled = new float[n];
        var expected = new double[n];
        for (int i = 0; i < n; i++) expected[i] = g[i] / (1 + Math.Exp(-(double)g[i])) * u[i];
        using var pool = new ComputePool(2);
        fixed (float* pg = g, pu = u, ps = serial, pp = pooled)
        {
            SwiGlu.Forward(pg, pu, ps, n);
            SwiGlu.Forward(pool, pg, pu, pp, n);
        }
        AssertClose(expected, serial, 1e-5);
        Assert.Equal(serial, pooled);
    }

    [Fact]
    public void SwiGluBackwardMatchesFiniteDifferences()
    {
        var rng = new Xoshiro256StarStar(6);
        int len = 40;
        float[] g = Random(rng, len, 2), u = Random(rng, len), r = Random(rng, len), y = new float[len];
        double Loss()
        {
            fixed (float* py = y, pg = g, pu = u) SwiGlu.Forward(ComputePool.Shared, pg, pu, py, len);
            return GradientCheck.Dot(y, r);
        }
        float[] dg = new float[len], du = new float[len];
        fixed (float* pdg = dg, pdu = du, pr = r, pg = g, pu = u) SwiGlu.Backward(ComputePool.Shared, pdg, pdu, pr, pg, pu, len);
        GradientCheck.Check("dg", g, dg, Loss, h: 1e-3f);
        GradientCheck.Check("du", u, du, Loss, h: 1e-3f);
    }
}
