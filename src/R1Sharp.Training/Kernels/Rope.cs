namespace R1Sharp.Training.Kernels;

/// <summary>
/// Rotary position embedding over heads of D values. Pair i (i &lt; D/2) rotates by pos * base^(-2i/D):
/// NEOX style (qwen2) pairs element i with i + D/2, interleaved style (llama, as llama.cpp's GGUF weights expect)
/// pairs 2i with 2i+1. Every row of a [B, T] batch is its own sequence, so row n has position n % T.
/// </summary>
public static unsafe class Rope
{
    /// <summary>cos/sin table [maxT, D/2], computed in double like the float64 reference.</summary>
    public static float[] Table(int maxT, int headDim, float ropeBase)
    {
        int half = headDim / 2;
        var t = new float[maxT * half * 2];
        for (int p = 0; p < maxT; p++)
            for (int i = 0; i < half; i++)
            {
                double ang = p * Math.Pow(ropeBase, -2.0 * i / headDim);
                t[(p * half + i) * 2] = (float)Math.Cos(ang);
                t[(p * half + i) * 2 + 1] = (float)Math.Sin(ang);
            }
        return t;
    }

    /// <summary>In place on x[N, heads*D]; <paramref name="inverse"/> applies the transpose rotation (the backward pass).</summary>
    public static void Apply(float* x, int n, int t, int heads, int headDim, bool neox, float* table, bool inverse)
    {
        int half = headDim / 2;
        for (int row = 0; row < n; row++)
        {
            float* cs = table + (row % t) * half * 2;
            for (int h = 0; h < heads; h++)
            {
                float* v = x + ((long)row * heads + h) * headDim;
                for (int i = 0; i < half; i++)
                {
                    float c = cs[2 * i], s = inverse ? -cs[2 * i + 1] : cs[2 * i + 1];
                    int i1 = neox ? i : 2 * i, i2 = neox ? i + half : 2 * i + 1;
                    float x1 = v[i1], x2 = v[i2];
                    v[i1] = x1 * c - x2 * s;
                    v[i2] = x1 * s + x2 * c;
                }
            }
        }
    }
}
