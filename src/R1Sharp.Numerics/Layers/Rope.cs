namespace R1Sharp.Numerics.Layers;

/// <summary>
/// Rotary position embedding as ggml_rope_ext computes it (no YaRN): pair i of the first ropeDims values of a head
/// rotates by theta_i = position * freqScale * base^(-2i/ropeDims) / freqFactor[i]. NEOX style (qwen2) pairs value i
/// with i + ropeDims/2, normal style (llama, deepseek) 2i with 2i+1. A rotation's transpose is its inverse, so
/// <see cref="Backward"/> rotates by -theta. The one implementation of inference and training.
/// </summary>
public static unsafe class Rope
{
    /// <summary>cos, sin: [ropeDims/2] for one position. freqFactors: [ropeDims/2] (llama 3 `rope_freqs`) or null.
    /// Angles in double, rounded once to float.</summary>
    public static void Angles(int position, int ropeDims, float freqBase, float freqScale, float* freqFactors, float* cos, float* sin)
    {
        int half = ropeDims / 2;
        double p = (double)position * freqScale;
        for (int i = 0; i < half; i++)
        {
            double theta = p * Math.Pow(freqBase, -2.0 * i / ropeDims);
            if (freqFactors != null) theta /= freqFactors[i];
            (double s, double c) = Math.SinCos(theta);
            cos[i] = (float)c;
            sin[i] = (float)s;
        }
    }

    /// <summary>Rotates, in place, the first ropeDims values of each of `heads` heads of x: [heads, headDim] (one token).</summary>
    public static void Forward(float* x, int heads, int headDim, int ropeDims, bool neox, float* cos, float* sin) =>
        Rotate(x, heads, headDim, ropeDims, neox, cos, sin, 1f);

    /// <summary>d loss / d x from d loss / d y, in place on dx: [heads, headDim] (the transpose rotation).</summary>
    public static void Backward(float* dx, int heads, int headDim, int ropeDims, bool neox, float* cos, float* sin) =>
        Rotate(dx, heads, headDim, ropeDims, neox, cos, sin, -1f);

    private static void Rotate(float* x, int heads, int headDim, int ropeDims, bool neox, float* cos, float* sin, float sign)
    {
        int half = ropeDims / 2;
        for (int h = 0; h < heads; h++)
        {
            float* v = x + (long)h * headDim;
            for (int i = 0; i < half; i++)
            {
                int i1 = neox ? i : 2 * i, i2 = neox ? i + half : 2 * i + 1;
                float c = cos[i], s = sign * sin[i], x0 = v[i1], x1 = v[i2];
                v[i1] = x0 * c - x1 * s;
                v[i2] = x0 * s + x1 * c;
            }
        }
    }
}
