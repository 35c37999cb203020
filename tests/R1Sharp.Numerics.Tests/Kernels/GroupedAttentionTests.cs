using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Numerics.Tests.Kernels;

/// <summary>
/// Grouped attention on every path (scalar, 256-bit, 512-bit forced in turn, skipped where the machine lacks one), F32
/// and F16 caches, cut into 1 to 5 ranges and merged, against softmax attention computed in double precision from
/// the same (F16-rounded) keys and values, head by head.
/// </summary>
[Collection("Simd")]
public unsafe class GroupedAttentionTests
{
    public static TheoryData<GgmlType, SimdPath, int, int> Cases()
    {
        var d = new TheoryData<GgmlType, SimdPath, int, int>();
        foreach (var t in new[] { GgmlType.F32, GgmlType.F16 })
            foreach (var p in Enum.GetValues<SimdPath>())
            {
                d.Add(t, p, 128, 1);  // the distills' head size, one range
                d.Add(t, p, 128, 5);  // ranges of unequal lengths, some not a multiple of the block
                d.Add(t, p, 40, 3);   // tails on every path
            }
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MergedRangesEqualDoubleReference(GgmlType type, SimdPath path, int dim, int ranges)
    {
        if (!Simd.IsSupported(path)) return;
        const int heads = 6, length = 301;
        int size = type == GgmlType.F16 ? 2 : 4, rec = GroupedAttention.PartialFloats(dim);
        float[] q = TestData.Gaussian(heads * dim, 1, 1f);
        float[] kv = TestData.Gaussian(2 * length * dim, 2, 1f);
        // one far-off key so one position dominates (checks the running max across ranges)
        for (int i = 0; i < dim; i++) kv[250 * dim + i] = 3 * q[i];
        var cache = new byte[2 * length * dim * size];
        var rounded = new float[kv.Length];
        for (int i = 0; i < kv.Length; i++)
        {
            if (type == GgmlType.F16)
            {
                ushort h = FloatConversions.FloatToHalf(kv[i]);
                BitConverter.TryWriteBytes(cache.AsSpan(i * 2), h);
                rounded[i] = FloatConversions.HalfToFloat(h);
            }
            else
            {
                BitConverter.TryWriteBytes(cache.AsSpan(i * 4), kv[i]);
                rounded[i] = kv[i];
            }
        }
        float scale = 1f / MathF.Sqrt(dim);
        var scratch = new float[GroupedAttention.ScratchFloats(heads, dim, dim)];
        var partial = new float[ranges * heads * rec];
        var output = new float[heads * dim];
        Simd.Forced = path;
        try
        {
            fixed (float* qp = q, sp = scratch, pp = partial, op = output)
            fixed (byte* cp = cache)
            {
                // keys at rows 0..length-1, values interleaved after each key: stride 2*dim (as MLA's shared rows)
                byte* keys = cp, values = cp + dim * size;
                for (int r = 0; r < ranges; r++)
                {
                    int start = length * r / ranges, end = length * (r + 1) / ranges;
                    GroupedAttention.Partial(type, qp, dim, heads, keys, 2 * dim, values, 2 * dim, start, end, dim, dim, scale,
                                             sp, pp + r * heads * rec);
                }
                for (int h = 0; h < heads; h++)
                    GroupedAttention.Merge(pp + h * rec, ranges, heads * rec, dim, op + h * dim);
            }
        }
        finally { Simd.Forced = null; }

        for (int h = 0; h < heads; h++)
        {
            var s = new double[length];
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < length; j++)
            {
                double dot = 0;
                for (int i = 0; i < dim; i++) dot += (double)q[h * dim + i] * rounded[2 * j * dim + i];
                s[j] = dot * scale;
                max = Math.Max(max, s[j]);
            }
            for (int j = 0; j < length; j++) { s[j] = Math.Exp(s[j] - max); sum += s[j]; }
            for (int i = 0; i < dim; i++)
            {
                double o = 0;
                for (int j = 0; j < length; j++) o += s[j] / sum * rounded[2 * j * dim + dim + i];
                Assert.True(Math.Abs(output[h * dim + i] - o) <= 2e-5, $"head {h} dim {i}: {output[h * dim + i]} vs {o}");
            }
        }
    }

    [Theory]
    [InlineData(SimdPath.Scalar)]
    [InlineData(SimdPath.V256)]
    [InlineData(SimdPath.V512)]
    public void HalfConversionMatchesScalar(SimdPath path)
    {
        if (!Simd.IsSupported(path)) return;
        float[] x = TestData.Gaussian(77, 3, 10f);
        x[5] = 1e-6f; // subnormal in F16
        x[6] = 0;
        var h = new ushort[x.Length];
        FloatConversions.FloatToHalf(x, h);
        var got = new float[x.Length];
        fixed (ushort* hp = h)
        fixed (float* gp = got)
            GroupedAttention.HalfToFloat(path, hp, gp, x.Length);
        for (int i = 0; i < x.Length; i++) Assert.Equal(FloatConversions.HalfToFloat(h[i]), got[i]);
    }
}
