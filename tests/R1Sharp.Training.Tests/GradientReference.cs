using R1Sharp.Gguf;

namespace R1Sharp.Training.Tests;

/// <summary>Gradients against a reference GGUF (one float tensor per parameter, same names and dims).</summary>
internal static class GradientReference
{
    /// <summary>
    /// Asserts every tensor of <paramref name="referencePath"/> is within <paramref name="tolerance"/> x its largest
    /// magnitude of the same-named gradient (and, with <paramref name="complete"/>, that the file has every gradient).
    /// Returns the worst |diff| / largest magnitude over the compared tensors.
    /// </summary>
    public static double AssertMatches(TensorSlab gradients, string referencePath, bool complete, double tolerance = 1e-3)
    {
        using var grads = GgufFile.Open(referencePath);
        if (complete) Assert.Equal(gradients.Tensors.Count, grads.Tensors.Count);
        Assert.NotEmpty(grads.Tensors);
        double worstRatio = 0;
        foreach (var info in grads.Tensors)
        {
            Assert.True(gradients.TryGet(info.Name, out var t), $"no gradient named {info.Name}");
            Assert.Equal(info.Dimensions, t.Dims);
            var reference = new float[t.Length];
            ModelGguf.ToFloat(grads.GetTensorBytes(info), info.Type, reference, t.Name);
            float max = reference.Max(MathF.Abs), worst = 0;
            var g = t.Span;
            for (int i = 0; i < reference.Length; i++) worst = MathF.Max(worst, MathF.Abs(g[i] - reference[i]));
            Assert.True(worst <= tolerance * max, $"{t.Name}: max |diff| {worst} vs largest magnitude {max}");
            if (max > 0) worstRatio = Math.Max(worstRatio, worst / max);
        }
        return worstRatio;
    }
}
