using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics.Tensors;
using R1Sharp.Gguf;

namespace R1Sharp.Numerics.Tests.Kernels;

/// <summary>
/// Every row dot kernel on every path (scalar, 256-bit, 512-bit: each forced in turn, skipped where the machine lacks
/// it; the quantized row kernels have one vector path, the float ones both) against a double-precision sum over the
/// dequantized weight row and the dequantized converted activations: they must agree to float rounding, which pins
/// down the integer arithmetic (offsets, scales, bit unpacking) exactly.
/// </summary>
[Collection("Simd")]
public unsafe class DotKernelTests
{
    public static TheoryData<GgmlType, SimdPath> Cases()
    {
        var d = new TheoryData<GgmlType, SimdPath>();
        foreach (var t in TestData.WeightTypes)
            foreach (var p in Enum.GetValues<SimdPath>()) d.Add(t, p);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void KernelEqualsDequantizedReference(GgmlType type, SimdPath path)
    {
        if (!Simd.IsSupported(path)) return;
        const int rows = 5, cols = 768;
        float[] wf = TestData.Gaussian(rows * cols, 7, 0.1f);
        byte[] wq = Quantizer.Quantize(type, wf, cols);
        float[] x = TestData.Gaussian(cols, 8);
        // make one activation block all zeros and one weight row tiny, to cover zero scales
        Array.Clear(x, 256, 256);
        var act = new QuantizedActivations();
        fixed (byte* wp = wq)
        fixed (float* xp = x)
        {
            var w = new WeightMatrix(wp, type, rows, cols);
            act.Prepare(type, xp, cols, 1);
            float[] xd = DequantizedActivations(act, cols);
            var wr = new float[cols];
            Simd.Forced = path;
            try
            {
                for (int r = 0; r < rows; r++)
                {
                    w.DequantizeRow(r, wr);
                    double exact = 0, scale = 0;
                    for (int c = 0; c < cols; c++) { exact += (double)wr[c] * xd[c]; scale += Math.Abs((double)wr[c] * xd[c]); }
                    if (type is GgmlType.Q4_1 or GgmlType.Q5_1)
                    {
                        // ggml's Q8_1 carries s = fp16(d*sum q) per block: the min term uses it instead of sum(d*q)
                        int blockBytes = GgmlTypeInfo.BlockBytes(type);
                        for (int b = 0; b < cols / 32; b++)
                        {
                            float m = FloatConversions.HalfToFloat(*(ushort*)(w.RowPointer(r) + b * blockBytes + 2));
                            double blockSum = 0;
                            for (int c = b * 32; c < b * 32 + 32; c++) blockSum += xd[c];
                            exact += m * (act.Row(0).S[b] - blockSum);
                        }
                    }
                    float got = MatMul.Dot(type, w.RowPointer(r), act.Row(0), cols);
                    Assert.True(Math.Abs(got - exact) <= 2e-6 * scale + 1e-30, $"{type} row {r}: {got} vs {exact}");
                }
            }
            finally { Simd.Forced = null; }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FourTokenKernelEqualsOneTokenKernel(GgmlType type, SimdPath path)
    {
        if (!Simd.IsSupported(path)) return;
        const int rows = 3, cols = 512, tokens = 4;
        byte[] wq = Quantizer.Quantize(type, TestData.Gaussian(rows * cols, 11, 0.1f), cols);
        float[] x = TestData.Gaussian(tokens * cols, 12);
        var act = new QuantizedActivations();
        fixed (byte* wp = wq)
        fixed (float* xp = x)
        {
            var w = new WeightMatrix(wp, type, rows, cols);
            act.Prepare(type, xp, cols, tokens);
            ActivationRow* x4 = stackalloc ActivationRow[4];
            float* y4 = stackalloc float[4];
            for (int i = 0; i < 4; i++) x4[i] = act.Row(i);
            Simd.Forced = path;
            try
            {
                for (int r = 0; r < rows; r++)
                {
                    MatMul.Dot4(type, w.RowPointer(r), x4, cols, y4);
                    for (int i = 0; i < 4; i++)
                    {
                        float one = MatMul.Dot(type, w.RowPointer(r), act.Row(i), cols);
                        Assert.True(Math.Abs(y4[i] - one) <= 1e-5f * (Math.Abs(one) + 1), $"{type} row {r} token {i}: {y4[i]} vs {one}");
                    }
                }
            }
            finally { Simd.Forced = null; }
        }
    }

    internal static float[] DequantizedActivations(QuantizedActivations act, int cols)
    {
        var xd = new float[cols];
        var row = act.Row(0);
        for (int c = 0; c < cols; c++)
            xd[c] = act.DotType switch
            {
                GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => row.F[c],
                GgmlType.Q8_K => row.Q[c] * row.D[c / 256],
                _ => row.Q[c] * row.D[c / 32],
            };
        return xd;
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_1)]
    [InlineData(GgmlType.Q4_K)]
    public void VectorActivationQuantizationEqualsScalarBitForBit(GgmlType weightType)
    {
        if (!Simd.IsSupported(SimdPath.V256)) return;
        const int cols = 1024, tokens = 3;
        float[] x = TestData.Gaussian(tokens * cols, 31);
        for (int i = 0; i < 200; i++) x[i * 7] = (i % 9 - 4) * 0.5f;   // rounding ties
        Array.Clear(x, 256, 256);                                     // all-zero blocks
        x[600] = -x[601] - 5; x[602] = -x[600];                      // +max and -max in one block: the first wins
        var scalar = new QuantizedActivations();
        var vector = new QuantizedActivations();
        fixed (float* xp = x)
        {
            try
            {
                Simd.Forced = SimdPath.Scalar;
                scalar.Prepare(weightType, xp, cols, tokens);
                Simd.Forced = SimdPath.V256;
                vector.Prepare(weightType, xp, cols, tokens);
            }
            finally { Simd.Forced = null; }
        }
        int block = scalar.DotType == GgmlType.Q8_K ? 256 : 32;
        for (int t = 0; t < tokens; t++)
        {
            ActivationRow a = scalar.Row(t), b = vector.Row(t);
            for (int c = 0; c < cols; c++) Assert.Equal(a.Q[c], b.Q[c]);
            for (int k = 0; k < cols / block; k++) Assert.Equal(a.D[k], b.D[k]);
            for (int k = 0; k < cols / (block == 256 ? 16 : 32); k++) Assert.Equal(a.Sum[k], b.Sum[k]);
            if (a.S != null) for (int k = 0; k < cols / 32; k++) Assert.Equal(a.S[k], b.S[k]);
            if (a.Sum16 != null) for (int k = 0; k < cols / 256 * 24; k++) Assert.Equal(a.Sum16[k], b.Sum16[k]);
        }
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q5_1)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.BF16)]
    public void ActivationsConvertedOnAPoolEqualOneThread(GgmlType weightType)
    {
        const int cols = 1024, tokens = 70; // several chunks of tokens
        float[] x = TestData.Gaussian(tokens * cols, 41);
        var one = new QuantizedActivations();
        var many = new QuantizedActivations();
        var pool = new ComputePool(3);
        fixed (float* xp = x)
        {
            one.Prepare(weightType, xp, cols, tokens);
            many.Prepare(weightType, xp, cols, tokens, pool);
        }
        for (int t = 0; t < tokens; t++)
        {
            ActivationRow a = one.Row(t), b = many.Row(t);
            if (a.F != null) { for (int c = 0; c < cols; c++) Assert.Equal(a.F[c], b.F[c]); continue; }
            for (int c = 0; c < cols; c++) Assert.Equal(a.Q[c], b.Q[c]);
            for (int k = 0; k < cols / 256; k++) Assert.Equal(a.D[k], b.D[k]);
            for (int k = 0; k < cols / 32; k++) Assert.Equal(a.Sum[k], b.Sum[k]);
        }
    }

    [Fact]
    public void ActivationQuantizationFollowsGgml()
    {
        // one Q8_0 block: amax 2.54 -> d = fp16(0.02), q = round_even(x*127/2.54) = round_even(x*50)
        float[] x = new float[32];
        x[0] = 2.54f; x[1] = -1.27f; x[2] = 0.01f; x[3] = 0.03f; x[4] = -0.05f;
        var act = new QuantizedActivations();
        fixed (float* xp = x) act.Prepare(GgmlType.Q8_0, xp, 32, 1);
        var r = act.Row(0);
        Assert.Equal(FloatConversions.RoundToHalf(0.02f), r.D[0]);
        Assert.Equal(127, r.Q[0]);
        Assert.Equal(-64, r.Q[1]); // -63.5 -> -64 (even)
        Assert.Equal(0, r.Q[2]);   // 0.5 -> 0 (even)
        Assert.Equal(2, r.Q[3]);   // 1.5 -> 2
        Assert.Equal(-2, r.Q[4]);  // -2.5 -> -2
        Assert.Equal(127 - 64 + 2 - 2, r.Sum[0]);

        // Q8_K: iscale = -127/max (signed), d = 1/iscale; bsums per 16
        float[] y = new float[256];
        y[0] = -0.5f; y[17] = 1f; y[255] = 0.25f;
        fixed (float* yp = y) act.Prepare(GgmlType.Q4_K, yp, 256, 1);
        r = act.Row(0);
        Assert.Equal(-1f / 127f, r.D[0], 1e-9f);
        Assert.Equal(64, r.Q[0]);    // -0.5 * -127 = 63.5 -> 64
        Assert.Equal(-127, r.Q[17]);
        Assert.Equal(-32, r.Q[255]); // -31.75 -> -32
        Assert.Equal(64, r.Sum[0]);
        Assert.Equal(-127, r.Sum[1]);
        Assert.Equal(-32, r.Sum[15]);
    }
}
