using R1Sharp.Numerics.Tensors;
using static R1Sharp.Numerics.Tensors.FloatConversions;
using R1Sharp.Gguf;

namespace R1Sharp.Numerics.Kernels;

/// <summary>
/// Dequantization of one row: src = RowBytes(type, count) bytes in ggml's block layout -> dst[count] float32.
/// Block layouts (ggml-common.h):
///   Q4_0 {f16 d; u8 qs[16]}                  x[j] = d*((qs[j]&amp;15)-8), x[j+16] = d*((qs[j]>>4)-8)
///   Q4_1 {f16 d, m; u8 qs[16]}               x = d*q + m
///   Q5_0 {f16 d; u32 qh; u8 qs[16]}          5th bit of x[j] is bit j of qh; x = d*(q-16)
///   Q5_1 {f16 d, m; u32 qh; u8 qs[16]}       x = d*q + m
///   Q8_0 {f16 d; i8 qs[32]}                  x = d*q
///   Q4_K {f16 d, dmin; u8 scales[12]; u8 qs[128]}   8 sub-blocks of 32, 6-bit scale/min (get_scale_min_k4)
///   Q5_K {f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}
///   Q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}   16 sub-blocks of 16, x = d*sc*(q-32)
/// </summary>
public static unsafe class Dequantize
{
    public static void Row(GgmlType type, byte* src, float* dst, int count)
    {
        switch (type)
        {
            case GgmlType.F32: Buffer.MemoryCopy(src, dst, count * 4L, count * 4L); break;
            case GgmlType.F16: for (int i = 0; i < count; i++) dst[i] = HalfToFloat(((ushort*)src)[i]); break;
            case GgmlType.BF16: for (int i = 0; i < count; i++) dst[i] = BF16ToFloat(((ushort*)src)[i]); break;
            case GgmlType.Q4_0: Q4_0(src, dst, count / 32); break;
            case GgmlType.Q4_1: Q4_1(src, dst, count / 32); break;
            case GgmlType.Q5_0: Q5_0(src, dst, count / 32); break;
            case GgmlType.Q5_1: Q5_1(src, dst, count / 32); break;
            case GgmlType.Q8_0: Q8_0(src, dst, count / 32); break;
            case GgmlType.Q8_1: Q8_1(src, dst, count / 32); break;
            case GgmlType.Q4_K: Q4_K(src, dst, count / 256); break;
            case GgmlType.Q5_K: Q5_K(src, dst, count / 256); break;
            case GgmlType.Q6_K: Q6_K(src, dst, count / 256); break;
            case GgmlType.Q8_K: Q8_K(src, dst, count / 256); break;
            default: throw new NotSupportedException($"Dequantization of {type} is not supported.");
        }
    }

    public static void Q4_0(byte* b, float* y, int blocks)
    {
        for (int i = 0; i < blocks; i++, b += 18, y += 32)
        {
            float d = HalfToFloat(*(ushort*)b);
            byte* qs = b + 2;
            for (int j = 0; j < 16; j++)
            {
                y[j] = d * ((qs[j] & 15) - 8);
                y[j + 16] = d * ((qs[j] >> 4) - 8);
            }
        }
    }

    public static void Q4_1(byte* b, float* y, int blocks)
    {
        for (int i = 0; i < blocks; i++, b += 20, y += 32)
        {
            float d = HalfToFloat(*(ushort*)b), m = HalfToFloat(*(ushort*)(b + 2));
            byte* qs = b + 4;
            for (int j = 0; j < 16; j++)
            {
                y[j] = d * (qs[j] & 15) + m;
                y[j + 16] = d * (qs[j] >> 4) + m;
            }
        }
    }

    public static void Q5_0(byte* b, float* y, int blocks)
    {
        for (int i = 0; i < blocks; i++, b += 22, y += 32)
        {
            float d = HalfToFloat(*(ushort*)b);
            uint qh = *(uint*)(b + 2);
            byte* qs = b + 6;
            for (int j = 0; j < 16; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = d * (((qs[j] & 15) | h0) - 16);
                y[j + 16] = d * (((qs[j] >> 4) | h1) - 16);
            }
        }
    }

    public static void Q5_1(byte* b, float* y, int blocks)
    {
        for (int i = 0; i < blocks; i++, b += 24, y += 32)
        {
            float d = HalfToFloat(*(ushort*)b), m = HalfToFloat(*(ushort*)(b + 2));
            uint qh = *(uint*)(b + 4);
            byte* qs = b + 8;
            for (int j = 0; j < 16; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = d * ((qs[j] & 15) | h0) + m;
                y[j + 16] = d * ((qs[j] >> 4) | h1) + m;
            }
        }
    }

    public static void Q8_0(byte* b, float* y, int blocks)
    {
        for (int i = 0; i < blocks; i++, b += 34, y += 32)
        {
            float d = HalfToFloat(*(ushort*)b);
            sbyte* qs = (sbyte*)(b + 2);
            for (int j = 0; j < 32; j++) y[j] = d * qs[j];
        }
    }

    public static void Q8_1(byte* b, float* y, int blocks)
    {
        for (int i = 0; i < blocks; i++, b += 36, y += 32)
        {
            float d = HalfToFloat(*(ushort*)b);
            sbyte* qs = (sbyte*)(b + 4);
            for (int j = 0; j < 32; j++) y[j] = d * qs[j];
        }
    }

    /// <summary>6-bit scale and min of sub-block j (0..7) from the 12 packed bytes of Q4_K/Q5_K (ggml's get_scale_min_k4).</summary>
    public static void ScaleMinK4(int j, byte* q, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = q[j] & 63;
            min = q[j + 4] & 63;
        }
        else
        {
            scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }

    public static void Q4_K(byte* b, float* y, int blocks)
    {
        for (int i = 0; i < blocks; i++, b += 144)
        {
            float d = HalfToFloat(*(ushort*)b), dmin = HalfToFloat(*(ushort*)(b + 2));
            byte* scales = b + 4;
            byte* q = b + 16;
            for (int j = 0, s = 0; j < 256; j += 64, s += 2, q += 32)
            {
                ScaleMinK4(s, scales, out int sc1, out int m1);
                ScaleMinK4(s + 1, scales, out int sc2, out int m2);
                float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
                for (int l = 0; l < 32; l++) *y++ = d1 * (q[l] & 15) - min1;
                for (int l = 0; l < 32; l++) *y++ = d2 * (q[l] >> 4) - min2;
            }
        }
    }

    public static void Q5_K(byte* b, float* y, int blocks)
    {
        for (int i = 0; i < blocks; i++, b += 176)
        {
            float d = HalfToFloat(*(ushort*)b), dmin = HalfToFloat(*(ushort*)(b + 2));
            byte* scales = b + 4;
            byte* qh = b + 16;
            byte* ql = b + 48;
            int u1 = 1, u2 = 2;
            for (int j = 0, s = 0; j < 256; j += 64, s += 2, ql += 32, u1 <<= 2, u2 <<= 2)
            {
                ScaleMinK4(s, scales, out int sc1, out int m1);
                ScaleMinK4(s + 1, scales, out int sc2, out int m2);
                float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
                for (int l = 0; l < 32; l++) *y++ = d1 * ((ql[l] & 15) + ((qh[l] & u1) != 0 ? 16 : 0)) - min1;
                for (int l = 0; l < 32; l++) *y++ = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - min2;
            }
        }
    }

    public static void Q6_K(byte* b, float* y, int blocks)
    {
        for (int i = 0; i < blocks; i++, b += 210)
        {
            byte* ql = b;
            byte* qh = b + 128;
            sbyte* sc = (sbyte*)(b + 192);
            float d = HalfToFloat(*(ushort*)(b + 208));
            for (int n = 0; n < 256; n += 128, y += 128, ql += 64, qh += 32, sc += 8)
            {
                for (int l = 0; l < 32; l++)
                {
                    int s = l / 16;
                    int q1 = ((ql[l] & 15) | ((qh[l] & 3) << 4)) - 32;
                    int q2 = ((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    y[l] = d * sc[s] * q1;
                    y[l + 32] = d * sc[s + 2] * q2;
                    y[l + 64] = d * sc[s + 4] * q3;
                    y[l + 96] = d * sc[s + 6] * q4;
                }
            }
        }
    }

    public static void Q8_K(byte* b, float* y, int blocks)
    {
        for (int i = 0; i < blocks; i++, b += 292, y += 256)
        {
            float d = *(float*)b;
            sbyte* qs = (sbyte*)(b + 4);
            for (int j = 0; j < 256; j++) y[j] = d * qs[j];
        }
    }
}
