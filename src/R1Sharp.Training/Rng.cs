namespace R1Sharp.Training;

/// <summary>xoshiro256** with SplitMix64 seeding: a small generator whose whole state is saved in checkpoints.</summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9, t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t; _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, n).</summary>
    public int NextInt(int n) => (int)((UInt128)NextUInt64() * (ulong)n >> 64);

    /// <summary>Uniform in (0, 1).</summary>
    public double NextDouble() => ((NextUInt64() >> 11) + 0.5) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box-Muller).</summary>
    public double NextGaussian() => Math.Sqrt(-2 * Math.Log(NextDouble())) * Math.Cos(2 * Math.PI * NextDouble());

    public void Shuffle(int[] a)
    {
        for (int i = a.Length - 1; i > 0; i--) { int j = NextInt(i + 1); (a[i], a[j]) = (a[j], a[i]); }
    }

    public string State => $"{_s0:x16}{_s1:x16}{_s2:x16}{_s3:x16}";

    public static Rng FromState(string state)
    {
        if (state.Length != 64) throw new InvalidDataException("bad RNG state in checkpoint");
        var r = new Rng(0);
        r._s0 = Convert.ToUInt64(state[..16], 16); r._s1 = Convert.ToUInt64(state[16..32], 16);
        r._s2 = Convert.ToUInt64(state[32..48], 16); r._s3 = Convert.ToUInt64(state[48..], 16);
        return r;
    }
}
