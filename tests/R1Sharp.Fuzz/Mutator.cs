using System.Buffers.Binary;

namespace R1Sharp.Fuzz;

/// <summary>Byte-level mutations of a seed (what a corrupt download or a hostile editor produces) and the values
/// that break parsers most often.</summary>
public static class Mutator
{
    public static readonly ulong[] InterestingIntegers =
    [
        0, 1, 2, 3, 7, 8, 16, 31, 32, 33, 63, 64, 127, 128, 255, 256, 1023, 1024, 4095, 4096, 65535, 65536,
        0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF,
        0xFFFFFFFFFFFFFFFE, 1UL << 40, 1UL << 48,
    ];

    public static readonly double[] InterestingFloats =
    [
        0, -0.0, 1, -1, 0.5, 2, 1e-30, 1e-6, 1e6, 1e30, 1e300, -1e300, double.NaN, double.PositiveInfinity,
        double.NegativeInfinity, double.Epsilon, float.MaxValue, float.MinValue,
    ];

    public static ulong Integer(Random rng) => rng.Next(4) switch
    {
        0 => (ulong)rng.NextInt64(),
        1 => (ulong)rng.Next(1 << 16),
        _ => InterestingIntegers[rng.Next(InterestingIntegers.Length)],
    };

    public static double Float(Random rng) => rng.Next(3) == 0 ? rng.NextDouble() * Math.Pow(10, rng.Next(-10, 10)) * (rng.Next(2) * 2 - 1)
        : InterestingFloats[rng.Next(InterestingFloats.Length)];

    /// <summary>One to a few mutations of <paramref name="seed"/>; <paramref name="focus"/> bytes from the start are hit
    /// most (a GGUF's header and metadata, where parsing decisions are made).</summary>
    public static byte[] Mutate(byte[] seed, Random rng, int focus, out string description)
    {
        var data = new List<byte>(seed);
        var what = new List<string>();
        int n = 1 + rng.Next(rng.Next(2) == 0 ? 2 : 6);
        for (int k = 0; k < n && data.Count > 0; k++)
        {
            int limit = rng.Next(4) == 0 ? data.Count : Math.Min(focus, data.Count);
            int at = rng.Next(limit);
            switch (rng.Next(7))
            {
                case 0:
                    data[at] = (byte)rng.Next(256);
                    what.Add($"byte@{at}");
                    break;
                case 1:
                    data[at] ^= (byte)(1 << rng.Next(8));
                    what.Add($"bit@{at}");
                    break;
                case 2:
                {
                    // an aligned 4- or 8-byte field set to an interesting value (counts, lengths, types, offsets, dims)
                    int width = rng.Next(2) == 0 ? 4 : 8;
                    at &= ~(width - 1);
                    if (at + width > data.Count) break;
                    Span<byte> v = stackalloc byte[8];
                    BinaryPrimitives.WriteUInt64LittleEndian(v, Integer(rng));
                    for (int i = 0; i < width; i++) data[at + i] = v[i];
                    what.Add($"u{width * 8}@{at}");
                    break;
                }
                case 3:
                {
                    int len = Math.Min(data.Count - at, 1 + rng.Next(64));
                    data.RemoveRange(at, len);
                    what.Add($"delete {len}@{at}");
                    break;
                }
                case 4:
                {
                    int len = Math.Min(data.Count - at, 1 + rng.Next(64));
                    data.InsertRange(rng.Next(limit), data.GetRange(at, len));
                    what.Add($"duplicate {len}@{at}");
                    break;
                }
                case 5:
                {
                    var bytes = new byte[1 + rng.Next(16)];
                    rng.NextBytes(bytes);
                    data.InsertRange(at, bytes);
                    what.Add($"insert {bytes.Length}@{at}");
                    break;
                }
                default:
                {
                    int keep = rng.Next(data.Count);
                    data.RemoveRange(keep, data.Count - keep);
                    what.Add($"truncate@{keep}");
                    break;
                }
            }
        }
        description = string.Join(", ", what);
        return data.ToArray();
    }
}
