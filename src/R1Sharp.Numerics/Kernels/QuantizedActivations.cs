using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using R1Sharp.Numerics.Tensors;
using static R1Sharp.Numerics.Tensors.FloatConversions;
using R1Sharp.Gguf;

namespace R1Sharp.Numerics.Kernels;

/// <summary>
/// Activations x[batch, cols] converted once per matmul to the weight type's vec_dot_type, as llama.cpp does:
///   Q8_0 (for Q8_0, Q4_0, Q5_0): per 32: d = fp16(amax/127), q = round_even(x*127/amax), Sum = sum(q)
///   Q8_1 (for Q4_1, Q5_1):       as Q8_0 plus S = fp16(d*sum(q)) (d unrounded)
///   Q8_K (for K-quants):         per 256: d = 1/iscale (f32), iscale = -127/max (signed max), q = round_even(x*iscale),
///                                Sum = per-16 sums (ggml's bsums)
///   F16 / BF16: x rounded through the type, kept as float.   F32: x itself.
/// Laid out struct-of-arrays per token so the SIMD kernels load 32 aligned quants at a time.
/// Buffers are reused across calls (owned by one MatMul, which frees them).
/// </summary>
internal sealed unsafe class QuantizedActivations : IDisposable
{
    public GgmlType DotType { get; private set; }
    public int Cols { get; private set; }
    public int Batch { get; private set; }

    private sbyte* _q; private float* _d; private int* _sum; private float* _s; private float* _f; private short* _sum16;
    private long _qCap, _dCap, _sumCap, _sCap, _fCap, _sum16Cap;

    /// <summary>vec_dot_type of a weight type.</summary>
    public static GgmlType DotTypeFor(GgmlType weight) => weight switch
    {
        GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 => GgmlType.Q8_0,
        GgmlType.Q4_1 or GgmlType.Q5_1 => GgmlType.Q8_1,
        GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => GgmlType.Q8_K,
        GgmlType.F16 => GgmlType.F16,
        GgmlType.BF16 => GgmlType.BF16,
        _ => GgmlType.F32,
    };

    private static int BlockOf(GgmlType dot) => dot == GgmlType.Q8_K ? 256 : 32;

    public sbyte* Q(int token) => _q + (long)token * Cols;
    public float* D(int token) => _d + (long)token * (Cols / BlockOf(DotType));
    /// <summary>Q8_0/Q8_1: sum of the quants of each 32-block; Q8_K: sum of each 16.</summary>
    public int* Sum(int token) => _sum + (long)token * (Cols / 16);
    /// <summary>Q8_1 only: fp16(d*sum) per block, as float.</summary>
    public float* S(int token) => _s + (long)token * (Cols / 32);
    /// <summary>Q8_K only: per block of 256 the 16 per-16 sums then the 8 per-32 sums, as int16.</summary>
    public short* Sum16(int token) => _sum16 + (long)token * (Cols / 256 * 24);
    /// <summary>F32/F16/BF16: the (rounded) activations.</summary>
    public float* F(int token) => _f + (long)token * Cols;

    public ActivationRow Row(int token) => DotType switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => new ActivationRow(null, null, null, null, F(token)),
        GgmlType.Q8_1 => new ActivationRow(Q(token), D(token), Sum(token), S(token), null),
        GgmlType.Q8_K => new ActivationRow(Q(token), D(token), Sum(token), null, null, Sum16(token)),
        _ => new ActivationRow(Q(token), D(token), Sum(token), null, null),
    };

    private float* _x;
    private int _chunks;
    private readonly Action<int> _convertChunk;

    public QuantizedActivations() => _convertChunk = ConvertChunk;

    /// <summary>Converts x[batch, cols] for a weight of type <paramref name="weightType"/>; with a pool and several
    /// tokens the tokens are split over its threads.</summary>
    public void Prepare(GgmlType weightType, float* x, int cols, int batch, ComputePool? pool = null)
    {
        DotType = DotTypeFor(weightType);
        Cols = cols;
        Batch = batch;
        long n = (long)cols * batch;
        switch (DotType)
        {
            case GgmlType.F32:
                _f = x; // used in place, never written
                _fCap = 0;
                return;
            case GgmlType.F16:
            case GgmlType.BF16:
                if (_fCap == 0) _f = null; // was aliasing x
                Ensure(ref _f, ref _fCap, n * 4);
                break;
            default:
                if (_fCap == 0) _f = null;
                Ensure(ref _q, ref _qCap, n);
                Ensure(ref _d, ref _dCap, n / 32 * 4);
                Ensure(ref _sum, ref _sumCap, n / 16 * 4);
                if (DotType == GgmlType.Q8_1) Ensure(ref _s, ref _sCap, n / 32 * 4);
                if (DotType == GgmlType.Q8_K) Ensure(ref _sum16, ref _sum16Cap, n / 256 * 24 * 2);
                break;
        }
        _x = x;
        // a chunk per thread and a few more (threads finish at different times), none under ~16K values
        _chunks = pool == null || pool.Threads == 1 ? 1 : (int)Math.Clamp(n / 16384, 1, Math.Min(batch, 4L * pool.Threads));
        if (_chunks == 1) ConvertTokens(0, batch);
        else pool!.For(_chunks, _convertChunk);
        _x = null;
    }

    private void ConvertChunk(int chunk) =>
        ConvertTokens((int)((long)Batch * chunk / _chunks), (int)((long)Batch * (chunk + 1) / _chunks));

    private void ConvertTokens(int t0, int t1)
    {
        int cols = Cols;
        if (DotType is GgmlType.F16 or GgmlType.BF16)
        {
            bool half = DotType == GgmlType.F16;
            for (long i = (long)t0 * cols; i < (long)t1 * cols; i++) _f[i] = half ? RoundToHalf(_x[i]) : RoundToBF16(_x[i]);
            return;
        }
        bool vector = Simd.Avx2Path;
        for (int t = t0; t < t1; t++)
        {
            float* xt = _x + (long)t * cols;
            if (DotType == GgmlType.Q8_K)
            {
                if (vector) Q8KVector(xt, Q(t), D(t), Sum(t), Sum16(t), cols / 256);
                else Q8K(xt, Q(t), D(t), Sum(t), Sum16(t), cols / 256);
            }
            else if (vector) Q8Vector(xt, Q(t), D(t), Sum(t), DotType == GgmlType.Q8_1 ? S(t) : null, cols / 32);
            else Q8(xt, Q(t), D(t), Sum(t), DotType == GgmlType.Q8_1 ? S(t) : null, cols / 32);
        }
    }

    public void Dispose()
    {
        Free(ref _q, ref _qCap); Free(ref _d, ref _dCap); Free(ref _sum, ref _sumCap); Free(ref _s, ref _sCap); Free(ref _f, ref _fCap);
        static void Free<T>(ref T* p, ref long cap) where T : unmanaged
        {
            if (p != null && cap > 0) NativeMemory.AlignedFree(p); // cap 0: F32 activations used in place
            p = null;
            cap = 0;
        }
    }

    private static void Ensure<T>(ref T* p, ref long cap, long bytes) where T : unmanaged
    {
        if (cap >= bytes && p != null) return;
        if (p != null && cap > 0) NativeMemory.AlignedFree(p);
        cap = Math.Max(bytes, 4096);
        p = (T*)NativeMemory.AlignedAlloc((nuint)cap, 64);
    }

    // The vector versions compute the same floats and the same round-to-nearest-even conversions (cvtps2dq) as the
    // scalar ones, so the results are identical bit for bit (tested).
    private static void Q8Vector(float* x, sbyte* q, float* d, int* sum, float* s, int blocks)
    {
        for (int b = 0; b < blocks; b++, x += 32, q += 32)
        {
            var x0 = Vector256.Load(x); var x1 = Vector256.Load(x + 8); var x2 = Vector256.Load(x + 16); var x3 = Vector256.Load(x + 24);
            float amax = MaxAcross(Avx.Max(Avx.Max(Vector256.Abs(x0), Vector256.Abs(x1)), Avx.Max(Vector256.Abs(x2), Vector256.Abs(x3))));
            float dd = amax / 127f, id = amax != 0 ? 127f / amax : 0f;
            var i0 = Avx.ConvertToVector256Int32(x0 * id); var i1 = Avx.ConvertToVector256Int32(x1 * id);
            var i2 = Avx.ConvertToVector256Int32(x2 * id); var i3 = Avx.ConvertToVector256Int32(x3 * id);
            Pack(i0, i1, i2, i3, q);
            int total = Vector256.Sum((i0 + i1) + (i2 + i3));
            d[b] = RoundToHalf(dd);
            sum[b] = total;
            if (s != null) s[b] = RoundToHalf(dd * total);
        }
    }

    private static void Q8KVector(float* x, sbyte* q, float* d, int* sum, short* sum16, int blocks)
    {
        for (int b = 0; b < blocks; b++, x += 256, q += 256)
        {
            short* s16 = sum16 + 24 * b;
            var m = Vector256<float>.Zero;
            for (int j = 0; j < 256; j += 8) m = Avx.Max(m, Vector256.Abs(Vector256.Load(x + j)));
            float amax = MaxAcross(m);
            if (amax == 0)
            {
                d[b] = 0;
                new Span<sbyte>(q, 256).Clear();
                for (int j = 0; j < 16; j++) sum[b * 16 + j] = 0;
                for (int j = 0; j < 24; j++) s16[j] = 0;
                continue;
            }
            // the signed value of the first element of largest magnitude, as the scalar scan picks it
            float max = 0;
            for (int j = 0; j < 256; j += 8)
            {
                uint hit = Vector256.Equals(Vector256.Abs(Vector256.Load(x + j)), Vector256.Create(amax)).ExtractMostSignificantBits();
                if (hit != 0) { max = x[j + System.Numerics.BitOperations.TrailingZeroCount(hit)]; break; }
            }
            float iscale = -127f / max;
            var top = Vector256.Create(127);
            for (int j = 0; j < 256; j += 32)
            {
                var i0 = Vector256.Min(Avx.ConvertToVector256Int32(Vector256.Load(x + j) * iscale), top);
                var i1 = Vector256.Min(Avx.ConvertToVector256Int32(Vector256.Load(x + j + 8) * iscale), top);
                var i2 = Vector256.Min(Avx.ConvertToVector256Int32(Vector256.Load(x + j + 16) * iscale), top);
                var i3 = Vector256.Min(Avx.ConvertToVector256Int32(Vector256.Load(x + j + 24) * iscale), top);
                Pack(i0, i1, i2, i3, q + j);
                int t0 = Vector256.Sum(i0 + i1), t1 = Vector256.Sum(i2 + i3);
                sum[b * 16 + j / 16] = t0; sum[b * 16 + j / 16 + 1] = t1;
                s16[j / 16] = (short)t0; s16[j / 16 + 1] = (short)t1;
            }
            for (int j = 0; j < 8; j++) s16[16 + j] = (short)(s16[2 * j] + s16[2 * j + 1]);
            d[b] = 1f / iscale;
        }
    }

    /// <summary>32 int32 (values within int8) -> 32 int8 in order.</summary>
    private static void Pack(Vector256<int> i0, Vector256<int> i1, Vector256<int> i2, Vector256<int> i3, sbyte* q)
    {
        var b = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(i0, i1), Avx2.PackSignedSaturate(i2, i3));
        Avx2.PermuteVar8x32(b.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsSByte().Store(q);
    }

    private static float MaxAcross(Vector256<float> v)
    {
        var m = Sse.Max(v.GetLower(), v.GetUpper());
        m = Sse.Max(m, Sse.Shuffle(m, m, 0b01_00_11_10));
        m = Sse.Max(m, Sse.Shuffle(m, m, 0b10_11_00_01));
        return m.ToScalar();
    }

    private static void Q8(float* x, sbyte* q, float* d, int* sum, float* s, int blocks)
    {
        for (int b = 0; b < blocks; b++, x += 32, q += 32)
        {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
            float dd = amax / 127f, id = amax != 0 ? 127f / amax : 0f;
            int total = 0;
            for (int j = 0; j < 32; j++)
            {
                int v = (int)MathF.Round(x[j] * id, MidpointRounding.ToEven);
                q[j] = (sbyte)v;
                total += v;
            }
            d[b] = RoundToHalf(dd);
            sum[b] = total;
            if (s != null) s[b] = RoundToHalf(dd * total);
        }
    }

    private static void Q8K(float* x, sbyte* q, float* d, int* sum, short* sum16, int blocks)
    {
        for (int b = 0; b < blocks; b++, x += 256, q += 256)
        {
            short* s16 = sum16 + 24 * b;
            float max = 0, amax = 0;
            for (int j = 0; j < 256; j++)
                if (MathF.Abs(x[j]) > amax) { amax = MathF.Abs(x[j]); max = x[j]; }
            if (amax == 0)
            {
                d[b] = 0;
                for (int j = 0; j < 256; j++) q[j] = 0;
                for (int j = 0; j < 16; j++) sum[b * 16 + j] = 0;
                for (int j = 0; j < 24; j++) s16[j] = 0;
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < 256; j++) q[j] = (sbyte)Math.Min(127, (int)MathF.Round(iscale * x[j], MidpointRounding.ToEven));
            for (int j = 0; j < 16; j++)
            {
                int t = 0;
                for (int l = 0; l < 16; l++) t += q[j * 16 + l];
                sum[b * 16 + j] = t;
                s16[j] = (short)t; // |t| <= 16*127
            }
            for (int j = 0; j < 8; j++) s16[16 + j] = (short)(s16[2 * j] + s16[2 * j + 1]);
            d[b] = 1f / iscale;
        }
    }
}
