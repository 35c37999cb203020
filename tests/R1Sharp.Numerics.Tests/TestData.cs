using R1Sharp.Gguf;

namespace R1Sharp.Numerics.Tests;

internal static class TestData
{
    /// <summary>Deterministic values roughly like trained weights: gaussian with a few larger outliers.</summary>
    public static float[] Gaussian(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            double g = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            if (rng.Next(50) == 0) g *= 4;
            v[i] = (float)(g * scale);
        }
        return v;
    }

    public static readonly GgmlType[] WeightTypes =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16,
        GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
        GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K,
        GgmlType.Q5_K, GgmlType.Q6_K,
    ];
}
