using System.Runtime.CompilerServices;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Unpacks the 12 scale bytes of Q4_K/Q5_K into eight 6-bit scales and eight 6-bit mins (byte j of each
/// result = sub-block j), the same values as ggml's get_scale_min_k4.</summary>
internal static unsafe class KScales
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* p, out ulong scales, out ulong mins)
    {
        const uint k1 = 0x3f3f3f3f, k2 = 0x0f0f0f0f, k3 = 0x03030303;
        uint u0 = *(uint*)p, u1 = *(uint*)(p + 4), u2 = *(uint*)(p + 8);
        uint s0 = u0 & k1;                                  // sc 0..3
        uint s1 = (u2 & k2) | (((u0 >> 6) & k3) << 4);      // sc 4..7
        uint m0 = u1 & k1;                                  // m 0..3
        uint m1 = ((u2 >> 4) & k2) | (((u1 >> 6) & k3) << 4); // m 4..7
        scales = s0 | ((ulong)s1 << 32);
        mins = m0 | ((ulong)m1 << 32);
    }
}
