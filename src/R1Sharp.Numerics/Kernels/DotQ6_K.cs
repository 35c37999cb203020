using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace R1Sharp.Numerics.Kernels;

/// <summary>Q6_K weight row . Q8_K activations: d*dx * sum_j sc_j * (sum_{16} q6*qx - 32*bsum_j), q6 in 0..63.
/// w: blocks * 210 bytes {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}. Half n (128 values): ql[64n..], qh[32n..];
/// value l (0..31) of quarter i: low 4 bits from ql[l + 32*(i&amp;1)] (nibble i/2), high 2 bits from qh[l] bits 2i.</summary>
internal static unsafe class DotQ6_K
{
    public static float Dot(byte* w, in ActivationRow x, int blocks)
    {
        sbyte* q = x.Q;
        float* dx = x.D;
        int* bs = x.Sum;
        if (Simd.Avx2Path)
        {
            var acc = Vector256<float>.Zero;
            var m4 = Vector256.Create((byte)0x0F);
            var m3 = Vector256.Create((byte)0x03);
            float offset = 0;
            for (int b = 0; b < blocks; b++, w += 210, q += 256, bs += 16)
            {
                sbyte* sc = (sbyte*)(w + 192);
                float d = Simd.Half(w + 208) * dx[b];
                int summ = 0;
                for (int j = 0; j < 16; j++) summ += sc[j] * bs[j];
                offset += d * 32 * summ;
                var sumi = Vector256<int>.Zero;
                for (int n = 0; n < 2; n++)
                {
                    byte* ql = w + 64 * n;
                    var qh = Vector256.Load(w + 128 + 32 * n);
                    var qla = Vector256.Load(ql);
                    var qlb = Vector256.Load(ql + 32);
                    sbyte* qq = q + 128 * n;
                    sbyte* s = sc + 8 * n;
                    var q1 = (qla & m4) | ((qh & m3).AsUInt16() << 4).AsByte();
                    var q2 = (qlb & m4) | (((qh.AsUInt16() >> 2).AsByte() & m3).AsUInt16() << 4).AsByte();
                    var q3 = ((qla.AsUInt16() >> 4).AsByte() & m4) | (((qh.AsUInt16() >> 4).AsByte() & m3).AsUInt16() << 4).AsByte();
                    var q4 = ((qlb.AsUInt16() >> 4).AsByte() & m4) | (((qh.AsUInt16() >> 6).AsByte() & m3).AsUInt16() << 4).AsByte();
                    sumi = DotQ4_K.MulAdd(sumi, Avx2.MultiplyAddAdjacent(q1, Vector256.LoadAligned(qq)), Scales(s[0], s[1]));
                    sumi = DotQ4_K.MulAdd(sumi, Avx2.MultiplyAddAdjacent(q2, Vector256.LoadAligned(qq + 32)), Scales(s[2], s[3]));
                    sumi = DotQ4_K.MulAdd(sumi, Avx2.MultiplyAddAdjacent(q3, Vector256.LoadAligned(qq + 64)), Scales(s[4], s[5]));
                    sumi = DotQ4_K.MulAdd(sumi, Avx2.MultiplyAddAdjacent(q4, Vector256.LoadAligned(qq + 96)), Scales(s[6], s[7]));
                }
                acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(d), acc);
            }
            return Vector256.Sum(acc) - offset;
        }
        float sum = 0;
        for (int b = 0; b < blocks; b++, w += 210, q += 256, bs += 16)
        {
            sbyte* sc = (sbyte*)(w + 192);
            int sumi = 0;
            for (int n = 0; n < 2; n++)
            {
                byte* ql = w + 64 * n;
                byte* qh = w + 128 + 32 * n;
                sbyte* qq = q + 128 * n;
                for (int l = 0; l < 32; l++)
                {
                    int s = n * 8 + l / 16;
                    int q1 = ((ql[l] & 15) | ((qh[l] & 3) << 4)) - 32;
                    int q2 = ((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    sumi += sc[s] * q1 * qq[l] + sc[s + 2] * q2 * qq[l + 32] + sc[s + 4] * q3 * qq[l + 64] + sc[s + 6] * q4 * qq[l + 96];
                }
            }
            sum += Simd.Half(w + 208) * dx[b] * sumi;
        }
        return sum;
    }

    // int16 lanes 0..7 (values 0..15 of a quarter) use scale a, lanes 8..15 (values 16..31) scale b
    private static Vector256<short> Scales(sbyte a, sbyte b) => Vector256.Create(Vector128.Create((short)a), Vector128.Create((short)b));
}
