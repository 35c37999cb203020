using System.Runtime.InteropServices;
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

    private sbyte* _q; private float* _d; private int* _sum; private float* _s; private float* _f;
    private long _qCap, _dCap, _sumCap, _sCap, _fCap;

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
    /// <summary>F32/F16/BF16: the (rounded) activations.</summary>
    public float* F(int token) => _f + (long)token * Cols;

    public ActivationRow Row(int token) => DotType switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => new ActivationRow(null, null, null, null, F(token)),
        GgmlType.Q8_1 => new ActivationRow(Q(token), D(token), Sum(token), S(token), null),
        _ => new ActivationRow(Q(token), D(token), Sum(token), null, null),
    };

    public void Prepare(GgmlType weightType, float* x, int cols, int batch)
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
                bool half = DotType == GgmlType.F16;
                for (long i = 0; i < n; i++) _f[i] = half ? RoundToHalf(x[i]) : RoundToBF16(x[i]);
                return;
        }
        if (_fCap == 0) _f = null;
        Ensure(ref _q, ref _qCap, n);
        Ensure(ref _d, ref _dCap, n / 32 * 4);
        Ensure(ref _sum, ref _sumCap, n / 16 * 4);
        if (DotType == GgmlType.Q8_1) Ensure(ref _s, ref _sCap, n / 32 * 4);
        for (int t = 0; t < batch; t++)
        {
            float* xt = x + (long)t * cols;
            if (DotType == GgmlType.Q8_K) Q8K(xt, Q(t), D(t), Sum(t), cols / 256);
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

    private static void Q8K(float* x, sbyte* q, float* d, int* sum, int blocks)
    {
        for (int b = 0; b < blocks; b++, x += 256, q += 256)
        {
            float max = 0, amax = 0;
            for (int j = 0; j < 256; j++)
                if (MathF.Abs(x[j]) > amax) { amax = MathF.Abs(x[j]); max = x[j]; }
            if (amax == 0)
            {
                d[b] = 0;
                for (int j = 0; j < 256; j++) q[j] = 0;
                for (int j = 0; j < 16; j++) sum[b * 16 + j] = 0;
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < 256; j++) q[j] = (sbyte)Math.Min(127, (int)MathF.Round(iscale * x[j], MidpointRounding.ToEven));
            for (int j = 0; j < 16; j++)
            {
                int t = 0;
                for (int l = 0; l < 16; l++) t += q[j * 16 + l];
                sum[b * 16 + j] = t;
            }
            d[b] = 1f / iscale;
        }
    }
}
