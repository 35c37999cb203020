namespace R1Sharp.Models.DeepSeek2;

/// <summary>
/// Rotary embedding with YaRN scaling as ggml's rope_yarn applies it (NORM mode: consecutive pairs x[2i], x[2i+1]).
/// For pair i (i0 = 2i): theta_extrap = pos * base^(-i0/dims), theta_interp = freqScale * theta_extrap;
/// ramp = (1 - clamp((i0/2 - low) / max(0.001, high - low), 0, 1)) * extFactor; theta = interp*(1-ramp) + extrap*ramp,
/// with [low, high] = ggml_rope_yarn_corr_dims(dims, originalContext, base, beta_fast 32, beta_slow 1).
/// llama.cpp passes attn_factor 1/(1 + 0.1 ln(1/freqScale)) to rope for deepseek2 and YaRN multiplies by
/// (1 + 0.1 ln(1/freqScale)) again, so the rotation keeps magnitude 1 when YaRN is active; without YaRN but with a
/// scaling factor only the first factor applies.
/// </summary>
public sealed class YarnRope
{
    public int Dims { get; }
    public double FreqBase { get; }
    public double FreqScale { get; }
    public double ExtFactor { get; }
    public int OriginalContext { get; }
    public double CorrLow { get; }
    public double CorrHigh { get; }
    /// <summary>Magnitude applied to cos/sin.</summary>
    public double Magnitude { get; }

    private readonly double[] _invFreq;   // base^(-i0/dims) per pair
    private readonly double[] _ramp;      // YaRN mix per pair

    public YarnRope(int dims, double freqBase, double freqScale, double extFactor, int originalContext,
                    double betaFast = 32, double betaSlow = 1)
    {
        Dims = dims; FreqBase = freqBase; FreqScale = freqScale; ExtFactor = extFactor; OriginalContext = originalContext;
        double CorrDim(double nRot) => dims * Math.Log(originalContext / (nRot * 2 * Math.PI)) / (2 * Math.Log(freqBase));
        CorrLow = Math.Max(0, Math.Floor(CorrDim(betaFast)));
        CorrHigh = Math.Min(dims - 1, Math.Ceiling(CorrDim(betaSlow)));
        double attnFactor = 1.0 / (1.0 + 0.1 * Math.Log(1.0 / freqScale));
        Magnitude = attnFactor * (extFactor != 0 ? 1.0 + 0.1 * Math.Log(1.0 / freqScale) : 1.0);
        _invFreq = new double[dims / 2];
        _ramp = new double[dims / 2];
        for (int i = 0; i < dims / 2; i++)
        {
            int i0 = 2 * i;
            _invFreq[i] = Math.Pow(freqBase, -(double)i0 / dims);
            double y = (i0 / 2.0 - CorrLow) / Math.Max(0.001, CorrHigh - CorrLow);
            _ramp[i] = (1 - Math.Clamp(y, 0, 1)) * extFactor;
        }
    }

    /// <summary>The rotation angle of pair <paramref name="pair"/> at position <paramref name="pos"/>.</summary>
    public double Theta(int pos, int pair)
    {
        double extrap = pos * _invFreq[pair];
        double interp = FreqScale * extrap;
        return interp * (1 - _ramp[pair]) + extrap * _ramp[pair];
    }

    /// <summary>Fills cos/sin tables for one position: cos[pair], sin[pair] (already times <see cref="Magnitude"/>).</summary>
    public void Table(int pos, Span<float> cos, Span<float> sin)
    {
        for (int i = 0; i < Dims / 2; i++)
        {
            double t = Theta(pos, i);
            cos[i] = (float)(Math.Cos(t) * Magnitude);
            sin[i] = (float)(Math.Sin(t) * Magnitude);
        }
    }

    /// <summary>Rotates consecutive pairs of x (length Dims) in place: (a, b) -> (a cos - b sin, a sin + b cos).</summary>
    public static void Apply(Span<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        for (int i = 0; i < cos.Length; i++)
        {
            float a = x[2 * i], b = x[2 * i + 1];
            x[2 * i] = a * cos[i] - b * sin[i];
            x[2 * i + 1] = a * sin[i] + b * cos[i];
        }
    }
}
