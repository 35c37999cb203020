using R1Sharp.Models.DeepSeek2;

namespace R1Sharp.Models.Tests.DeepSeek2;

public sealed class YarnRopeTests
{
    // dims 16, base 1e4, factor 4 over an original context of 64 (the golden deepseek2 model's settings).
    // Hand computation of ggml_rope_yarn_corr_dims: dim(b) = 16 ln(64 / (2 pi b)) / (2 ln 1e4):
    // dim(32) = -0.994 -> floor -1 -> clamp 0; dim(1) = 2.016 -> ceil 3. So pairs 0..3 ramp from extrapolation to interpolation.
    private static readonly YarnRope Rope = new(dims: 16, freqBase: 10000, freqScale: 0.25, extFactor: 1, originalContext: 64);

    [Fact]
    public void CorrectionDimsMatchHandComputation()
    {
        Assert.Equal(0, Rope.CorrLow);
        Assert.Equal(3, Rope.CorrHigh);
    }

    [Theory]
    [InlineData(0, 1.0)]        // pure extrapolation: theta = pos * inv_freq
    [InlineData(1, 2.0 / 3)]    // ramp 1 - 1/3
    [InlineData(2, 1.0 / 3)]
    [InlineData(3, 0.0)]        // pure interpolation: theta = freqScale * pos * inv_freq
    [InlineData(7, 0.0)]
    public void ThetaMixesInterpolationAndExtrapolation(int pair, double ramp)
    {
        int pos = 37;
        double extrap = pos * Math.Pow(10000, -2.0 * pair / 16);
        double expected = 0.25 * extrap * (1 - ramp) + extrap * ramp;
        Assert.Equal(expected, Rope.Theta(pos, pair), 10);
    }

    [Fact]
    public void RotationKeepsMagnitudeWithYarn()
    {
        // llama.cpp passes attn_factor 1/(1+0.1 ln 4) and YaRN multiplies by (1+0.1 ln 4): net magnitude 1.
        Assert.Equal(1.0, Rope.Magnitude, 12);
        var noYarn = new YarnRope(16, 10000, 0.25, extFactor: 0, originalContext: 64);
        Assert.Equal(1.0 / (1 + 0.1 * Math.Log(4)), noYarn.Magnitude, 12);
    }

    [Fact]
    public void AttentionScaleUsesYarnLogMultiplier()
    {
        using var f = R1Sharp.Gguf.GgufFile.Open(R1Sharp.TestSupport.Fixtures.Path("golden", "models", "tiny-deepseek2-s1-q8_0.gguf"));
        var c = DeepSeek2Config.FromGguf(f);
        double mscale = 1 + 0.1 * Math.Log(4);
        Assert.Equal(mscale * mscale / Math.Sqrt(48), c.AttentionScale, 6);
        Assert.Equal(0.25, c.Rope.FreqScale, 12);
        Assert.Equal(64, c.Rope.OriginalContext);
        Assert.Equal(2, c.GatingFunction);
        Assert.True(c.ExpertWeightsNorm);
        Assert.Equal(2.5f, c.ExpertWeightsScale);
    }
}
