using R1Sharp.Numerics.Gguf;

namespace R1Sharp.Training.Data;

/// <summary>Builds the data loader's <see cref="ITextEncoder"/> from a model's GGUF tokenizer and chat template.</summary>
public static class TextEncoders
{
    /// <summary>Null until a tokenizer is available for the file (then text rows report a clear error).</summary>
    public static ITextEncoder? FromGguf(GgufFile file) => null;
}
