namespace R1Sharp.Numerics.Kernels;

/// <summary>One token's converted activations (see <see cref="QuantizedActivations"/>): quants, block scales,
/// block sums (per 32 for Q8_0/Q8_1, per 16 for Q8_K), Q8_1's d*sum, or the rounded floats for F32/F16/BF16.</summary>
internal readonly unsafe struct ActivationRow(sbyte* q, float* d, int* sum, float* s, float* f)
{
    public readonly sbyte* Q = q;
    public readonly float* D = d;
    public readonly int* Sum = sum;
    public readonly float* S = s;
    public readonly float* F = f;
}
