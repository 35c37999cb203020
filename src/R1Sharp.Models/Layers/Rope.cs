namespace R1Sharp.Models.Layers;

/// <summary>Rotary position embedding as ggml_rope_ext computes it (no YaRN): for pair i of the first n rotated
/// dimensions, theta_i = position * freqScale * base^(-2i/n) / freqFactor[i].</summary>
public static unsafe class Rope
{
    /// <summary>cos, sin: [ropeDims/2] for one position. freqFactors: [ropeDims/2] (llama 3 `rope_freqs`) or null.</summary>
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
    public static void Apply(float* x, int heads, int headDim, int ropeDims, RopeStyle style, float* cos, float* sin)
    {
        int half = ropeDims / 2;
        for (int h = 0; h < heads; h++)
        {
            float* v = x + (long)h * headDim;
            if (style == RopeStyle.Neox)
            {
                for (int i = 0; i < half; i++)
                {
                    float x0 = v[i], x1 = v[i + half];
                    v[i] = x0 * cos[i] - x1 * sin[i];
                    v[i + half] = x0 * sin[i] + x1 * cos[i];
                }
            }
            else
            {
                for (int i = 0; i < half; i++)
                {
                    float x0 = v[2 * i], x1 = v[2 * i + 1];
                    v[2 * i] = x0 * cos[i] - x1 * sin[i];
                    v[2 * i + 1] = x0 * sin[i] + x1 * cos[i];
                }
            }
        }
    }
}
