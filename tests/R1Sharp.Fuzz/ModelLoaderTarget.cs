using R1Sharp.Gguf;
using R1Sharp.Models;

namespace R1Sharp.Fuzz;

/// <summary>The model loaders (dense qwen2/llama, deepseek2) on structurally valid files with hostile hyperparameters and
/// tensors: they refuse with a ModelFormatException naming the problem, or load a model that runs a forward pass.</summary>
public sealed class ModelLoaderTarget : FuzzTarget
{
    public override string Name => "model";

    public override FuzzInput Generate(Random rng) => Structured(GgufSeed.All[rng.Next(GgufSeed.All.Count)], rng, vocabulary: false);

    /// <summary>A structure-aware mutation of <paramref name="seed"/> (sometimes with a few byte mutations on top).</summary>
    internal static FuzzInput Structured(GgufSeed seed, Random rng, bool vocabulary)
    {
        var mutated = GgufMutations.Mutate(seed, rng, vocabulary, out string what);
        byte[] bytes;
        try { bytes = mutated.ToBytes(); }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException or InvalidOperationException or OutOfMemoryException)
        {
            bytes = seed.ToBytes();
            what = $"(writer refused: {what})";
        }
        if (rng.Next(5) == 0)
        {
            bytes = Mutator.Mutate(bytes, rng, 16 << 10, out string b);
            what += $"; bytes {b}";
        }
        return new FuzzInput($"{seed.Name}: {what}", bytes, Variant: rng.Next());
    }

    public override void Execute(FuzzInput input)
    {
        string path = ScratchPath(".gguf");
        File.WriteAllBytes(path, input.Bytes!);
        using var f = GgufFile.Open(path);
        using var model = ModelLoader.Load(f, new ModelLoadOptions { MaxBatchTokens = 8 });
        var rng = new Random(input.Variant);
        int vocab = model.Config.VocabSize;
        int[] prompt = [.. Enumerable.Range(0, 3).Select(_ => rng.Next(vocab))];
        using var seq = model.CreateSequence(8);
        var logits = new float[prompt.Length * vocab];
        model.Forward([new ForwardItem(seq, prompt, logits, AllLogits: true)]);
        model.Forward([new ForwardItem(seq, new[] { rng.Next(vocab) }, new float[vocab])]);
    }

    public override bool IsExpected(Exception e) => e is GgufFormatException or ModelFormatException;
}
