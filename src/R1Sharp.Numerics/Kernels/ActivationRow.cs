namespace R1Sharp.Numerics.Kernels;

/// <summary>One token's converted activations (see <see cref="QuantizedActivations"/>): quants, block scales,
/// block sums (per 32 for Q8_0/Q8_1, per 16 for Q8_K), Q8_1's d*sum, or the rounded floats for F32/F16/BF16; for Q8_K
/// also the block sums as int16 (per 16, then per 32: 24 per block of 256) for the tiled kernels' multiply-adds.</summary>
internal readonly unsafe struct ActivationRow(sbyte* q, float* d, int* sum, float* s, float* f, short* sum16 = null)
{
    public readonly short* Sum16 = sum16;
    public readonly sbyte* Q = q;
    public readonly float* D = d;
    public readonly int* Sum = sum;
    public readonly float* S = s;
    public readonly float* F = f;
}
