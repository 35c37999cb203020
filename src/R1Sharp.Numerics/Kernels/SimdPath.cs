namespace R1Sharp.Numerics.Kernels;

/// <summary>Which implementation of the kernels runs: portable scalar code, 256-bit (AVX2 + FMA, with AVX-VNNI where
/// present) or 512-bit (AVX-512 F/BW) vectors.</summary>
public enum SimdPath
{
    Scalar,
    V256,
    V512,
}
