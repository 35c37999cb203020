using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics.Tensors;
using R1Sharp.Gguf;

namespace R1Sharp.Numerics.Tests.Kernels;

/// <summary>
/// The 16-row tile layout and its kernels: packing is a bijection (every byte of every row comes back), and every
/// path (scalar, 256-bit, 512-bit: each forced in turn, skipped where the machine lacks it) of every tiled type gives,
/// for 1 to 4 tokens, the scalar row kernel's result on the original rows to float rounding.
/// </summary>
[Collection("Simd")]
public unsafe class TileKernelTests
{
    public static readonly GgmlType[] TiledTypes =
        [GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];

    public static TheoryData<GgmlType, SimdPath> Cases()
    {
        var d = new TheoryData<GgmlType, SimdPath>();
        foreach (var t in TiledTypes)
            foreach (var p in Enum.GetValues<SimdPath>()) d.Add(t, p);
        return d;
    }

    public static TheoryData<GgmlType> Types()
    {
        var d = new TheoryData<GgmlType>();
        foreach (var t in TiledTypes) d.Add(t);
        return d;
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void PackThenUnpackGivesBackEveryRowByteForByte(GgmlType type)
    {
        const int cols = 512;
        long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
        var src = new byte[rowBytes * RowTiles.Rows];
        new Random(5).NextBytes(src); // any bytes: the layout is a permutation (K-quant scales: a bijection of 6-bit fields)
        var tile = new byte[RowTiles.TileBytes(type, cols)];
        var back = new byte[rowBytes];
        fixed (byte* s = src, t = tile, b = back)
        {
            RowTiles.Pack(type, s, rowBytes, t, cols);
            for (int i = 0; i < RowTiles.Rows; i++)
            {
                RowTiles.Unpack(type, t, i, b, cols);
                Assert.True(back.AsSpan().SequenceEqual(src.AsSpan((int)(i * rowBytes), (int)rowBytes)), $"{type} row {i}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TileKernelEqualsScalarRowKernel(GgmlType type, SimdPath path)
    {
        if (!Simd.IsSupported(path)) return; // this machine cannot run the path: nothing to check here
        const int rows = 32, cols = 768;
        float[] wf = TestData.Gaussian(rows * cols, 21, 0.1f);
        for (int c = 0; c < cols; c++) wf[3 * cols + c] *= 1e-3f; // a row of tiny weights (small scales)
        byte[] wq = Quantizer.Quantize(type, wf, cols);
        const int tokens = 4;
        float[] x = TestData.Gaussian(tokens * cols, 22);
        Array.Clear(x, 256, 256); // zero activation blocks (zero scales)
        for (int c = 0; c < cols; c++) x[2 * cols + c] *= 30; // a token with large activations
        long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
        var tiles = new byte[RowTiles.TileBytes(type, cols) * (rows / RowTiles.Rows)];
        var act = new QuantizedActivations();
        var y = new float[tokens * rows];
        fixed (byte* wp = wq, tp = tiles)
        fixed (float* xp = x, yp = y)
        {
            for (int t = 0; t < rows / RowTiles.Rows; t++)
                RowTiles.Pack(type, wp + t * RowTiles.Rows * rowBytes, rowBytes, tp + t * RowTiles.TileBytes(type, cols), cols);
            act.Prepare(type, xp, cols, tokens);
            ActivationRow* xr = stackalloc ActivationRow[tokens];
            for (int k = 0; k < tokens; k++) xr[k] = act.Row(k);
            for (int n = 1; n <= tokens; n++)
            {
                Array.Clear(y);
                Simd.Forced = path;
                try
                {
                    for (int t = 0; t < rows / RowTiles.Rows; t++)
                        TileKernels.Dot(type, tp + t * RowTiles.TileBytes(type, cols), cols, xr, n, yp + t * RowTiles.Rows, rows);
                }
                finally { Simd.Forced = null; }
                for (int k = 0; k < n; k++)
                    for (int r = 0; r < rows; r++)
                    {
                        float want = TileKernels.ScalarRow(type, wp + r * rowBytes, xr[k], cols);
                        float scale = AbsDot(type, wp + r * rowBytes, act, k, cols);
                        Assert.True(Math.Abs(y[k * rows + r] - want) <= 2e-6f * scale + 1e-30f,
                            $"{type} {path} tokens {n}: token {k} row {r}: {y[k * rows + r]} vs {want}");
                    }
            }
        }
    }

    // sum |w x| over the dequantized row and activations: the size of the rounding a float accumulation may differ by
    private static float AbsDot(GgmlType type, byte* row, QuantizedActivations act, int token, int cols)
    {
        var w = new float[cols];
        fixed (float* wp = w) Dequantize.Row(type, row, wp, cols);
        var r = act.Row(token);
        double s = 0;
        int block = act.DotType == GgmlType.Q8_K ? 256 : 32;
        for (int c = 0; c < cols; c++) s += Math.Abs((double)w[c] * r.Q[c] * r.D[c / block]);
        return (float)s;
    }
}
