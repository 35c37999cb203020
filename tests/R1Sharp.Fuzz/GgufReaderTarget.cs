using R1Sharp.Gguf;

namespace R1Sharp.Fuzz;

/// <summary>The GGUF reader on mutated files: it opens them or says what is wrong; what it opens is consistent (every
/// tensor's bytes lie inside the file, so touching them cannot fault).</summary>
public sealed class GgufReaderTarget : FuzzTarget
{
    public override string Name => "gguf";

    private readonly Lazy<byte[][]> _seedBytes = new(() => GgufSeed.All.Select(s => s.ToBytes()).ToArray());

    public override FuzzInput Generate(Random rng)
    {
        int i = rng.Next(GgufSeed.All.Count);
        if (rng.Next(2) == 0)
            return new FuzzInput($"{GgufSeed.All[i].Name}: bytes {Describe(rng, _seedBytes.Value[i], out var mutated)}", mutated);
        return ModelLoaderTarget.Structured(GgufSeed.All[i], rng, vocabulary: false);
    }

    private static string Describe(Random rng, byte[] seed, out byte[] mutated)
    {
        mutated = Mutator.Mutate(seed, rng, 16 << 10, out string d);
        return d;
    }

    public override unsafe void Execute(FuzzInput input)
    {
        string path = ScratchPath(".gguf");
        File.WriteAllBytes(path, input.Bytes!);
        using var f = GgufFile.Open(path);
        foreach (var (key, value) in f.Metadata) _ = key.Length + (value.ToString()?.Length ?? 0);
        long sum = 0;
        foreach (var t in f.Tensors)
        {
            if (t.ByteSize == 0) continue;
            byte* p = f.GetTensorPointer(t);
            sum += p[0] + p[t.ByteSize - 1];
        }
        GC.KeepAlive(sum);
    }

    public override bool IsExpected(Exception e) => e is GgufFormatException;
}
