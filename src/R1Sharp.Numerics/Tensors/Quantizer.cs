using static R1Sharp.Numerics.Tensors.FloatConversions;
using R1Sharp.Gguf;

namespace R1Sharp.Numerics.Tensors;

/// <summary>
/// float32 rows -> ggml block bytes (for writers, export, tests). Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 follow ggml's reference
/// quantizers exactly (quantize_row_*_ref: same scale choice and rounding). The K-quants use a simpler scale search
/// than ggml's make_qkx2_quants (min/max per sub-block, 6/8-bit super-block scales) but the exact block layout.
/// </summary>
public static unsafe class Quantizer
{
    /// <summary>Quantizes <paramref name="values"/> (rows of <paramref name="cols"/> values) to <paramref name="type"/>.</summary>
    public static byte[] Quantize(GgmlType type, ReadOnlySpan<float> values, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if (values.Length % cols != 0) throw new ArgumentException($"{values.Length} values are not whole rows of {cols}");
        int rows = values.Length / cols;
        long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
        var result = new byte[rowBytes * rows];
        fixed (float* x = values)
        fixed (byte* y = result)
            for (int r = 0; r < rows; r++) QuantizeRow(type, x + (long)r * cols, y + r * rowBytes, cols);
        return result;
    }

    /// <summary>Quantizes one row of <paramref name="count"/> values into RowBytes(type, count) bytes at <paramref name="y"/>.</summary>
    public static void QuantizeRow(GgmlType type, float* x, byte* y, int count)
    {
        switch (type)
        {
            case GgmlType.F32: Buffer.MemoryCopy(x, y, count * 4L, count * 4L); break;
            case GgmlType.F16: for (int i = 0; i < count; i++) ((ushort*)y)[i] = FloatToHalf(x[i]); break;
            case GgmlType.BF16: for (int i = 0; i < count; i++) ((ushort*)y)[i] = FloatToBF16(x[i]); break;
            case GgmlType.Q8_0: for (int i = 0; i < count / 32; i++) Q8_0(x + i * 32, y + i * 34); break;
            case GgmlType.Q4_0: for (int i = 0; i < count / 32; i++) Q4_0(x + i * 32, y + i * 18); break;
            case GgmlType.Q4_1: for (int i = 0; i < count / 32; i++) Q4_1(x + i * 32, y + i * 20); break;
            case GgmlType.Q5_0: for (int i = 0; i < count / 32; i++) Q5_0(x + i * 32, y + i * 22); break;
            case GgmlType.Q5_1: for (int i = 0; i < count / 32; i++) Q5_1(x + i * 32, y + i * 24); break;
            case GgmlType.Q4_K: for (int i = 0; i < count / 256; i++) QK(x + i * 256, y + i * 144, 15); break;
            case GgmlType.Q5_K: for (int i = 0; i < count / 256; i++) QK(x + i * 256, y + i * 176, 31); break;
            case GgmlType.Q6_K: for (int i = 0; i < count / 256; i++) Q6_K(x + i * 256, y + i * 210); break;
            default: throw new NotSupportedException($"Quantization to {type} is not supported.");
        }
    }

    // roundf: half away from zero (ggml's reference quantizers use roundf).
    private static int RoundAway(float v) => (int)MathF.Round(v, MidpointRounding.AwayFromZero);

    // nearest_int in ggml (k-quants): round half to even.
    private static int RoundEven(float v) => (int)MathF.Round(v, MidpointRounding.ToEven);

    /// <summary>block_q8_0: d = amax/127, q = roundf(x/d).</summary>
    private static void Q8_0(float* x, byte* b)
    {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
        float d = amax / 127f, id = d != 0 ? 1f / d : 0f;
        *(ushort*)b = FloatToHalf(d);
        sbyte* q = (sbyte*)(b + 2);
        for (int j = 0; j < 32; j++) q[j] = (sbyte)RoundAway(x[j] * id);
    }

    /// <summary>Signed value of largest magnitude (first one on ties), as ggml's reference quantizers pick it.</summary>
    private static float SignedAbsMax(float* x, int n)
    {
        float amax = 0, max = 0;
        for (int j = 0; j < n; j++)
            if (amax < MathF.Abs(x[j])) { amax = MathF.Abs(x[j]); max = x[j]; }
        return max;
    }

    /// <summary>block_q4_0: d = max/-8, q = min(15, (int8)(x/d + 8.5)).</summary>
    private static void Q4_0(float* x, byte* b)
    {
        float d = SignedAbsMax(x, 32) / -8f, id = d != 0 ? 1f / d : 0f;
        *(ushort*)b = FloatToHalf(d);
        for (int j = 0; j < 16; j++)
        {
            int q0 = Math.Min(15, (int)(sbyte)(x[j] * id + 8.5f));
            int q1 = Math.Min(15, (int)(sbyte)(x[j + 16] * id + 8.5f));
            b[2 + j] = (byte)(q0 | (q1 << 4));
        }
    }

    /// <summary>block_q4_1: d = (max-min)/15, m = min, q = min(15, (int8)((x-min)/d + 0.5)).</summary>
    private static void Q4_1(float* x, byte* b)
    {
        float min = float.MaxValue, max = float.MinValue;
        for (int j = 0; j < 32; j++) { min = MathF.Min(min, x[j]); max = MathF.Max(max, x[j]); }
        float d = (max - min) / 15f, id = d != 0 ? 1f / d : 0f;
        *(ushort*)b = FloatToHalf(d);
        *(ushort*)(b + 2) = FloatToHalf(min);
        for (int j = 0; j < 16; j++)
        {
            int q0 = Math.Min(15, (int)(sbyte)((x[j] - min) * id + 0.5f));
            int q1 = Math.Min(15, (int)(sbyte)((x[j + 16] - min) * id + 0.5f));
            b[4 + j] = (byte)(q0 | (q1 << 4));
        }
    }

    /// <summary>block_q5_0: d = max/-16, q = min(31, (int8)(x/d + 16.5)), bit 4 of q[j] goes to bit j of qh.</summary>
    private static void Q5_0(float* x, byte* b)
    {
        float d = SignedAbsMax(x, 32) / -16f, id = d != 0 ? 1f / d : 0f;
        *(ushort*)b = FloatToHalf(d);
        uint qh = 0;
        for (int j = 0; j < 16; j++)
        {
            int q0 = Math.Min(31, (int)(sbyte)(x[j] * id + 16.5f));
            int q1 = Math.Min(31, (int)(sbyte)(x[j + 16] * id + 16.5f));
            b[6 + j] = (byte)((q0 & 15) | ((q1 & 15) << 4));
            qh |= (uint)((q0 & 0x10) >> 4) << j;
            qh |= (uint)((q1 & 0x10) >> 4) << (j + 16);
        }
        *(uint*)(b + 2) = qh;
    }

    /// <summary>block_q5_1: d = (max-min)/31, m = min, q = (uint8)((x-min)/d + 0.5).</summary>
    private static void Q5_1(float* x, byte* b)
    {
        float min = float.MaxValue, max = float.MinValue;
        for (int j = 0; j < 32; j++) { min = MathF.Min(min, x[j]); max = MathF.Max(max, x[j]); }
        float d = (max - min) / 31f, id = d != 0 ? 1f / d : 0f;
        *(ushort*)b = FloatToHalf(d);
        *(ushort*)(b + 2) = FloatToHalf(min);
        uint qh = 0;
        for (int j = 0; j < 16; j++)
        {
            int q0 = Math.Min(31, (int)(byte)((x[j] - min) * id + 0.5f));
            int q1 = Math.Min(31, (int)(byte)((x[j + 16] - min) * id + 0.5f));
            b[8 + j] = (byte)((q0 & 15) | ((q1 & 15) << 4));
            qh |= (uint)((q0 & 0x10) >> 4) << j;
            qh |= (uint)((q1 & 0x10) >> 4) << (j + 16);
        }
        *(uint*)(b + 4) = qh;
    }

    /// <summary>
    /// block_q4_K (levels 15) / block_q5_K (levels 31): 8 sub-blocks of 32 with x ~ d*sc*q - dmin*m, sc and m 6-bit,
    /// packed like ggml (scales[0..3] low 6 bits of sc 0..3, scales[4..7] of m 0..3, scales[8..11] low nibbles of
    /// sc/m 4..7 with their top 2 bits in the top bits of scales[0..7]).
    /// </summary>
    private static void QK(float* x, byte* b, int levels)
    {
        Span<float> scale = stackalloc float[8], mins = stackalloc float[8];
        float maxScale = 0, maxMin = 0;
        for (int s = 0; s < 8; s++)
        {
            float lo = 0, hi = float.MinValue; // the min is clamped to <= 0 like ggml (mins are stored as positive offsets)
            for (int l = 0; l < 32; l++) { lo = MathF.Min(lo, x[s * 32 + l]); hi = MathF.Max(hi, x[s * 32 + l]); }
            scale[s] = (hi - lo) / levels;
            mins[s] = -lo;
            maxScale = MathF.Max(maxScale, scale[s]);
            maxMin = MathF.Max(maxMin, mins[s]);
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0, invMin = maxMin > 0 ? 63f / maxMin : 0;
        Span<byte> ls = stackalloc byte[8], lm = stackalloc byte[8];
        for (int s = 0; s < 8; s++)
        {
            ls[s] = (byte)Math.Min(63, RoundEven(invScale * scale[s]));
            lm[s] = (byte)Math.Min(63, RoundEven(invMin * mins[s]));
        }
        ushort dBits = FloatToHalf(maxScale / 63f), mBits = FloatToHalf(maxMin / 63f);
        *(ushort*)b = dBits;
        *(ushort*)(b + 2) = mBits;
        byte* sc = b + 4;
        for (int j = 0; j < 12; j++) sc[j] = 0;
        for (int j = 0; j < 8; j++)
        {
            if (j < 4) { sc[j] = ls[j]; sc[j + 4] = lm[j]; }
            else
            {
                sc[j + 4] = (byte)((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                sc[j - 4] |= (byte)((ls[j] >> 4) << 6);
                sc[j] |= (byte)((lm[j] >> 4) << 6);
            }
        }
        // quantize against the stored (rounded) scales
        float d = HalfToFloat(dBits), dmin = HalfToFloat(mBits);
        Span<byte> q = stackalloc byte[256];
        for (int s = 0; s < 8; s++)
        {
            float ds = d * ls[s], m = dmin * lm[s];
            float id = ds != 0 ? 1f / ds : 0;
            for (int l = 0; l < 32; l++)
                q[s * 32 + l] = (byte)Math.Clamp(RoundEven((x[s * 32 + l] + m) * id), 0, levels);
        }
        if (levels == 15)
        {
            byte* qs = b + 16;
            for (int j = 0; j < 256; j += 64, qs += 32)
                for (int l = 0; l < 32; l++) qs[l] = (byte)(q[j + l] | (q[j + l + 32] << 4));
        }
        else
        {
            byte* qh = b + 16;
            byte* ql = b + 48;
            for (int l = 0; l < 32; l++) qh[l] = 0;
            int m1 = 1, m2 = 2;
            for (int n = 0; n < 256; n += 64, ql += 32, m1 <<= 2, m2 <<= 2)
                for (int j = 0; j < 32; j++)
                {
                    int l1 = q[n + j], l2 = q[n + j + 32];
                    if (l1 > 15) { l1 -= 16; qh[j] |= (byte)m1; }
                    if (l2 > 15) { l2 -= 16; qh[j] |= (byte)m2; }
                    ql[j] = (byte)(l1 | (l2 << 4));
                }
        }
    }

    /// <summary>block_q6_K: 16 sub-blocks of 16, x ~ d*sc*(q-32) with int8 sc and 6-bit q (low 4 bits in ql, high 2 in qh).</summary>
    private static void Q6_K(float* x, byte* b)
    {
        Span<float> scale = stackalloc float[16];
        float maxScale = 0, amax = 0;
        for (int s = 0; s < 16; s++)
        {
            scale[s] = SignedAbsMax(x + s * 16, 16) / -32f;
            if (MathF.Abs(scale[s]) > amax) { amax = MathF.Abs(scale[s]); maxScale = scale[s]; }
        }
        sbyte* sc = (sbyte*)(b + 192);
        float iscale = maxScale != 0 ? -128f / maxScale : 0;
        ushort dBits = FloatToHalf(iscale != 0 ? 1f / iscale : 0);
        *(ushort*)(b + 208) = dBits;
        float d = HalfToFloat(dBits);
        Span<byte> q = stackalloc byte[256];
        for (int s = 0; s < 16; s++)
        {
            sc[s] = (sbyte)Math.Min(127, RoundEven(iscale * scale[s]));
            float ds = d * sc[s], id = ds != 0 ? 1f / ds : 0;
            for (int l = 0; l < 16; l++)
                q[s * 16 + l] = (byte)(Math.Clamp(RoundEven(x[s * 16 + l] * id), -32, 31) + 32);
        }
        byte* ql = b;
        byte* qh = b + 128;
        for (int j = 0; j < 256; j += 128, ql += 64, qh += 32)
            for (int l = 0; l < 32; l++)
            {
                int q1 = q[j + l], q2 = q[j + l + 32], q3 = q[j + l + 64], q4 = q[j + l + 96];
                ql[l] = (byte)((q1 & 0xF) | ((q3 & 0xF) << 4));
                ql[l + 32] = (byte)((q2 & 0xF) | ((q4 & 0xF) << 4));
                qh[l] = (byte)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
    }
}
