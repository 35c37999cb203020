using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics.Tensors;
using R1Sharp.Gguf;

namespace R1Sharp.Numerics.Tests.Kernels;

[Collection("Simd")]
public unsafe class MatMulTests
{
    public static TheoryData<GgmlType> Types()
    {
        var d = new TheoryData<GgmlType>();
        foreach (var t in TestData.WeightTypes) d.Add(t);
        return d;
    }

    // Activations are converted like llama.cpp's vec_dot_type (Q8_0/Q8_1/Q8_K, F16, BF16), so the product differs from
    // the exact one by about the activation quantization error: bound |y - exact| by tol * ||w_r|| * ||x_b||.
    private static double Tolerance(GgmlType t) => t switch
    {
        GgmlType.F32 => 1e-5, GgmlType.F16 => 2e-3, GgmlType.BF16 => 8e-3, _ => 1.5e-2,
    };

    public static TheoryData<GgmlType, SimdPath> TypesAndPaths()
    {
        var d = new TheoryData<GgmlType, SimdPath>();
        foreach (var t in TestData.WeightTypes)
            foreach (var p in Enum.GetValues<SimdPath>()) d.Add(t, p);
        return d;
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void MatchesDoublePrecisionReferenceForBatches1To9(GgmlType type) =>
        CheckForward(type, rows: 67, place: false); // rows not a multiple of any tile size: the row kernels

    /// <summary>Weights placed in a <see cref="WeightArena"/> (16-row tiles for the quantized types on a vector path),
    /// on each path the machine supports.</summary>
    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void PlacedWeightsMatchDoublePrecisionReference(GgmlType type, SimdPath path)
    {
        if (!Simd.IsSupported(path)) return;
        Simd.Forced = path;
        try { CheckForward(type, rows: 48, place: true); }
        finally { Simd.Forced = null; }
    }

    private static void CheckForward(GgmlType type, int rows, bool place)
    {
        const int cols = 512;
        float[] wf = TestData.Gaussian(rows * cols, 1, 0.05f);
        byte[] wq = Quantizer.Quantize(type, wf, cols);
        using var matmul = new MatMul(ComputePool.Shared);
        using var arena = new WeightArena();
        fixed (byte* wp = wq)
        {
            var w = new WeightMatrix(wp, type, rows, cols);
            if (place)
            {
                w = arena.Place(w, ComputePool.Shared);
                Assert.Equal(RowTiles.Supports(type) && Simd.Path != SimdPath.Scalar, w.Tiled);
            }
            float[] deq = w.ToFloat32(); // the exact weights the kernel sees
            for (int batch = 1; batch <= 9; batch++)
            {
                float[] x = TestData.Gaussian(batch * cols, 100 + batch);
                float[] y = new float[batch * rows];
                fixed (float* xp = x, yp = y) matmul.Forward(w, xp, yp, batch);
                for (int b = 0; b < batch; b++)
                {
                    double xn = Norm(x.AsSpan(b * cols, cols));
                    for (int r = 0; r < rows; r++)
                    {
                        double exact = 0;
                        for (int c = 0; c < cols; c++) exact += (double)deq[r * cols + c] * x[b * cols + c];
                        double scale = Norm(deq.AsSpan(r * cols, cols)) * xn;
                        double err = Math.Abs(y[b * rows + r] - exact);
                        Assert.True(err <= Tolerance(type) * scale,
                            $"{type} batch {batch} token {b} row {r}: {y[b * rows + r]} vs {exact} (err {err / scale:E2} of the scale)");
                    }
                }
            }
        }
    }

    [Fact]
    public void InstancesOnTwoThreadsKeepTheirOwnScratch()
    {
        // Q4_K converts activations to Q8_K, Q4_1 to Q8_1: different scratch layouts, each in its own instance.
        const int rows = 96, cols = 512, batch = 5;
        GgmlType[] types = [GgmlType.Q4_K, GgmlType.Q4_1];
        byte[][] weights = types.Select((t, i) => Quantizer.Quantize(t, TestData.Gaussian(rows * cols, 10 + i, 0.05f), cols)).ToArray();
        float[][] inputs = [TestData.Gaussian(batch * cols, 20), TestData.Gaussian(batch * cols, 21)];

        float[] Product(MatMul matmul, int which)
        {
            var y = new float[batch * rows];
            fixed (byte* wp = weights[which])
            fixed (float* xp = inputs[which], yp = y)
                matmul.Forward(new WeightMatrix(wp, types[which], rows, cols), xp, yp, batch);
            return y;
        }

        using var poolA = new ComputePool(2);
        using var poolB = new ComputePool(2);
        using var a = new MatMul(poolA);
        using var b = new MatMul(poolB);
        float[] aloneA = Product(a, 0), aloneB = Product(b, 1);
        Parallel.Invoke(new ParallelOptions { MaxDegreeOfParallelism = 2 },
            () => { for (int i = 0; i < 200; i++) Assert.Equal(aloneA, Product(a, 0)); },
            () => { for (int i = 0; i < 200; i++) Assert.Equal(aloneB, Product(b, 1)); });
    }

    [Fact]
    public void SliceSelectsRows()
    {
        const int rows = 8, cols = 64;
        float[] wf = TestData.Gaussian(rows * cols, 3);
        byte[] wq = Quantizer.Quantize(GgmlType.Q8_0, wf, cols);
        fixed (byte* wp = wq)
        {
            var w = new WeightMatrix(wp, GgmlType.Q8_0, rows, cols);
            var s = w.Slice(3, 2);
            var a = new float[cols];
            var b = new float[cols];
            s.DequantizeRow(1, a);
            w.DequantizeRow(4, b);
            Assert.Equal(b, a);
            Assert.Throws<ArgumentOutOfRangeException>(() => w.Slice(7, 2));
        }
    }

    private static double Norm(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float f in v) s += (double)f * f;
        return Math.Sqrt(s);
    }
}
