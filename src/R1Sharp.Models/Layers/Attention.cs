using System.Numerics.Tensors;

namespace R1Sharp.Models.Layers;

/// <summary>Scaled dot-product attention of one query head over cached keys/values (causal masking is the caller's
/// choice of <c>length</c>: a query at position p sees positions 0..p).</summary>
public static unsafe class Attention
{
    /// <summary>
    /// output = softmax(scale * K q) V over positions 0..length-1.
    /// q: [keyDim]; key j at keys + j*keyStride ([keyDim]); value j at values + j*valueStride ([valueDim]);
    /// scores: scratch of at least `length` floats; output: [valueDim] (overwritten).
    /// </summary>
    public static void SingleQuery(float* q, float* keys, long keyStride, float* values, long valueStride,
                                   int length, int keyDim, int valueDim, float scale, float* scores, float* output)
    {
        float max = float.NegativeInfinity;
        for (int j = 0; j < length; j++)
        {
            float s = VectorMath.Dot(q, keys + j * keyStride, keyDim) * scale;
            scores[j] = s;
            if (s > max) max = s;
        }
        var sc = new Span<float>(scores, length);
        TensorPrimitives.Subtract(sc, max, sc);
        TensorPrimitives.Exp(sc, sc);
        float inv = 1f / TensorPrimitives.Sum(sc);
        new Span<float>(output, valueDim).Clear();
        for (int j = 0; j < length; j++)
            VectorMath.Axpy(scores[j] * inv, values + j * valueStride, output, valueDim);
    }
}
