using R1Sharp.Models.Dense;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Models;

/// <summary>Builds the right <see cref="ILanguageModel"/> for a GGUF file from its `general.architecture`.</summary>
public static class ModelLoader
{
    /// <summary>Architectures this engine runs.</summary>
    public static IReadOnlyList<string> SupportedArchitectures { get; } = ["qwen2", "llama", "deepseek2"];

    /// <summary>Loads the model whose weights live in <paramref name="file"/> (the file must outlive the model:
    /// weights point into its memory mapping). Throws <see cref="ModelFormatException"/> for an unsupported
    /// architecture or a missing/unknown tensor.</summary>
    public static ILanguageModel Load(GgufFile file, ModelLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        options ??= new ModelLoadOptions();
        string arch = file.GetString("general.architecture")
            ?? throw new ModelFormatException(file.Path, "metadata key 'general.architecture' is missing");
        return arch switch
        {
            "qwen2" or "llama" => DenseTransformer.Load(file, options),
            "deepseek2" => DeepSeek2.DeepSeek2Model.Load(file, options),
            _ => throw new ModelFormatException(file.Path,
                $"unsupported architecture {MessageText.Quote(arch)} (supported: {string.Join(", ", SupportedArchitectures)})"),
        };
    }

    /// <summary>
    /// A dense (qwen2/llama) model that computes directly on float32 <paramref name="tensors"/> someone else owns, by
    /// their GGUF names and dims (a trainer's parameter slab): no copy, so after the owner changes the values (an
    /// optimizer step) the next <see cref="ILanguageModel.Forward"/> uses the new ones (tell an engine that caches KV
    /// to forget it then). The tensors must outlive the model; it runs on <paramref name="pool"/>, which it does not
    /// dispose. Throws <see cref="ModelFormatException"/> for a missing, unknown or misshapen tensor.
    /// </summary>
    public static ILanguageModel OverFloat32(ModelConfig config, IReadOnlyDictionary<string, Float32Tensor> tensors,
                                             ComputePool pool, int maxBatchTokens = 512) =>
        DenseTransformer.OverFloat32(config, tensors, pool, maxBatchTokens);
}
