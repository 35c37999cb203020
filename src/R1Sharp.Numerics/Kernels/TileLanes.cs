using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace R1Sharp.Numerics.Kernels;

/// <summary>
/// The vector operations of the tiled kernels, written once for both widths: a kernel generic over TV
/// (<see cref="Lanes512"/>: the 16 rows of a tile in one vector; <see cref="Lanes256"/>: 8 rows, called for each half)
/// is specialized by the JIT for each struct, so the abstraction costs nothing. A TV holds raw bits: the operation
/// says how they are read (bytes, int16, int32 or float lanes; one 32-bit lane per row).
/// </summary>
internal unsafe interface ITileLanes<TV> where TV : unmanaged, ITileLanes<TV>
{
    /// <summary>Rows per vector (16 or 8).</summary>
    static abstract int Rows { get; }
    /// <summary>4 quants x Rows rows at p.</summary>
    static abstract TV Load(byte* p);
    static abstract TV Lo(TV v);
    static abstract TV Hi(TV v);
    static abstract TV Or(TV a, TV b);
    /// <summary>(v shifted left by `left` bits within 16-bit lanes, negative = right) &amp; mask, per byte.</summary>
    static abstract TV ShiftMask(TV v, int left, byte mask);
    /// <summary>u8 w times the 4 int8 activations at x (same for every row), adjacent pairs summed to int16.</summary>
    static abstract TV Mul(TV w, sbyte* x);
    static abstract TV Add16(TV a, TV b);
    static abstract TV Add32(TV a, TV b);
    static abstract TV Sub32(TV a, TV b);
    /// <summary>acc + (a . b) over int16 pairs into int32 lanes (pmaddwd / vpdpwssd).</summary>
    static abstract TV Madd(TV acc, TV a, TV b);
    /// <summary>int16 pairs summed into int32 lanes.</summary>
    static abstract TV Widen(TV a);
    /// <summary>2*Rows bytes at p (a byte pair per row) as int16 lanes, zero- or sign-extended.</summary>
    static abstract TV PairsU8(byte* p);
    static abstract TV PairsS8(byte* p);
    /// <summary>Each row's int16 pair (a, b) -> (a, a) or (b, b).</summary>
    static abstract TV DupLow(TV pairs);
    static abstract TV DupHigh(TV pairs);
    /// <summary>The 32-bit value at p in every lane.</summary>
    static abstract TV Broadcast(void* p);
    static abstract TV Int(int v);
    /// <summary>Rows f16 values at p as float lanes.</summary>
    static abstract TV Halves(byte* p);
    static abstract TV Scale(TV floats, float s);
    /// <summary>acc + floats * s.</summary>
    static abstract TV MulAdd(TV floats, float s, TV acc);
    /// <summary>acc + float(sums) * scale.</summary>
    static abstract TV AddScaled(TV sums, TV scale, TV acc);
    static abstract void Store(TV floats, float* y);
}

internal unsafe struct Lanes512 : ITileLanes<Lanes512>
{
    private Vector512<byte> _v;
    private Lanes512(Vector512<byte> v) => _v = v;
    private static Lanes512 Of<T>(Vector512<T> v) => new(v.AsByte());

    public static int Rows => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Load(byte* p) => new(Vector512.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Lo(Lanes512 v) => new(TileSimd.Lo(v._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Hi(Lanes512 v) => new(TileSimd.Hi(v._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Or(Lanes512 a, Lanes512 b) => new(a._v | b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 ShiftMask(Lanes512 v, int left, byte mask) =>
        Of((left >= 0 ? v._v.AsUInt16() << left : v._v.AsUInt16() >> -left).AsByte() & Vector512.Create(mask));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Mul(Lanes512 w, sbyte* x) => Of(TileSimd.Mul(w._v, x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Add16(Lanes512 a, Lanes512 b) => Of(a._v.AsInt16() + b._v.AsInt16());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Add32(Lanes512 a, Lanes512 b) => Of(a._v.AsInt32() + b._v.AsInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Sub32(Lanes512 a, Lanes512 b) => Of(a._v.AsInt32() - b._v.AsInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Madd(Lanes512 acc, Lanes512 a, Lanes512 b) => Of(acc._v.AsInt32() + Avx512BW.MultiplyAddAdjacent(a._v.AsInt16(), b._v.AsInt16()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Widen(Lanes512 a) => Of(TileSimd.Widen(a._v.AsInt16()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 PairsU8(byte* p) => Of(Avx512BW.ConvertToVector512Int16(Vector256.Load(p)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 PairsS8(byte* p) => Of(Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)p)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 DupLow(Lanes512 p) => Of(TileSimd.DupLow(p._v.AsInt16()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 DupHigh(Lanes512 p) => Of(TileSimd.DupHigh(p._v.AsInt16()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Broadcast(void* p) => Of(Vector512.Create(*(int*)p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Int(int v) => Of(Vector512.Create(v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Halves(byte* p) => Of(Simd.HalfToFloat(Vector256.Load((ushort*)p)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Scale(Lanes512 f, float s) => Of(f._v.AsSingle() * s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 MulAdd(Lanes512 f, float s, Lanes512 acc) => Of(Avx512F.FusedMultiplyAdd(f._v.AsSingle(), Vector512.Create(s), acc._v.AsSingle()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 AddScaled(Lanes512 sums, Lanes512 scale, Lanes512 acc) =>
        Of(TileSimd.AddScaled(sums._v.AsInt32(), scale._v.AsSingle(), acc._v.AsSingle()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Lanes512 f, float* y) => f._v.AsSingle().Store(y);
}

internal unsafe struct Lanes256 : ITileLanes<Lanes256>
{
    private Vector256<byte> _v;
    private Lanes256(Vector256<byte> v) => _v = v;
    private static Lanes256 Of<T>(Vector256<T> v) => new(v.AsByte());

    public static int Rows => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Load(byte* p) => new(Vector256.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Lo(Lanes256 v) => new(TileSimd.Lo(v._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Hi(Lanes256 v) => new(TileSimd.Hi(v._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Or(Lanes256 a, Lanes256 b) => new(a._v | b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 ShiftMask(Lanes256 v, int left, byte mask) =>
        Of((left >= 0 ? v._v.AsUInt16() << left : v._v.AsUInt16() >> -left).AsByte() & Vector256.Create(mask));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Mul(Lanes256 w, sbyte* x) => Of(TileSimd.Mul(w._v, x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Add16(Lanes256 a, Lanes256 b) => Of(a._v.AsInt16() + b._v.AsInt16());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Add32(Lanes256 a, Lanes256 b) => Of(a._v.AsInt32() + b._v.AsInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Sub32(Lanes256 a, Lanes256 b) => Of(a._v.AsInt32() - b._v.AsInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Madd(Lanes256 acc, Lanes256 a, Lanes256 b) => Of(TileSimd.Madd(acc._v.AsInt32(), a._v.AsInt16(), b._v.AsInt16()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Widen(Lanes256 a) => Of(TileSimd.Widen(a._v.AsInt16()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 PairsU8(byte* p) => Of(Avx2.ConvertToVector256Int16(Vector128.Load(p)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 PairsS8(byte* p) => Of(Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)p)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 DupLow(Lanes256 p) => Of(TileSimd.DupLow(p._v.AsInt16()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 DupHigh(Lanes256 p) => Of(TileSimd.DupHigh(p._v.AsInt16()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Broadcast(void* p) => Of(Vector256.Create(*(int*)p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Int(int v) => Of(Vector256.Create(v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Halves(byte* p) => Of(Simd.HalfToFloat(Vector128.Load((ushort*)p)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Scale(Lanes256 f, float s) => Of(f._v.AsSingle() * s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 MulAdd(Lanes256 f, float s, Lanes256 acc) => Of(Fma.MultiplyAdd(f._v.AsSingle(), Vector256.Create(s), acc._v.AsSingle()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 AddScaled(Lanes256 sums, Lanes256 scale, Lanes256 acc) =>
        Of(TileSimd.AddScaled(sums._v.AsInt32(), scale._v.AsSingle(), acc._v.AsSingle()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Lanes256 f, float* y) => f._v.AsSingle().Store(y);
}
