using System.Globalization;

namespace R1Sharp.Numerics;

/// <summary>
/// xoshiro256** (Blackman and Vigna, prng.di.unimi.it), seeded through SplitMix64: the one random generator of R1Sharp
/// (sampling, data order, weight init). Its sequence is fixed by this code, unlike System.Random's, and its whole
/// state is four words that <see cref="State"/> / <see cref="FromState(string)"/> save and restore (training
/// checkpoints), so a restored generator continues the exact sequence. A class, not a struct: passing it around never
/// forks the sequence by copying.
/// </summary>
public sealed class Xoshiro256StarStar
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator whose state is four successive SplitMix64 outputs from <paramref name="seed"/>.</summary>
    public Xoshiro256StarStar(ulong seed) => Reseed(seed);

    /// <summary>Restarts the generator as if constructed with <paramref name="seed"/> (no allocation).</summary>
    public void Reseed(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>A generator with this exact state (not all zero: that state is a fixed point).</summary>
    public static Xoshiro256StarStar FromState(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0) throw new ArgumentException("xoshiro256** state must not be all zero");
        return new Xoshiro256StarStar(0) { _s0 = s0, _s1 = s1, _s2 = s2, _s3 = s3 };
    }

    /// <summary>The state as 64 hex digits (s0 s1 s2 s3), the form checkpoints store.</summary>
    public string State => $"{_s0:x16}{_s1:x16}{_s2:x16}{_s3:x16}";

    /// <summary>A generator continuing from a saved <see cref="State"/>.</summary>
    public static Xoshiro256StarStar FromState(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Length != 64) throw new FormatException($"random generator state must be 64 hex digits, got {state.Length} characters");
        var words = new ulong[4];
        for (int i = 0; i < 4; i++)
            if (!ulong.TryParse(state.AsSpan(16 * i, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out words[i]))
                throw new FormatException($"random generator state is not hex: '{state}'");
        return FromState(words[0], words[1], words[2], words[3]);
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood): advances <paramref name="x"/> by the golden gamma and mixes it.</summary>
    public static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9, t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1): the top 53 bits as a fraction.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n) by the high word of a 64x64-bit product (bias below n / 2^64).</summary>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        return (int)Math.BigMul(NextUInt64(), (ulong)n, out _);
    }

    /// <summary>Standard normal by Box-Muller (two uniforms per value; 1 - u keeps the logarithm finite).</summary>
    public double NextGaussian() => Math.Sqrt(-2 * Math.Log(1 - NextDouble())) * Math.Cos(2 * Math.PI * NextDouble());

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
