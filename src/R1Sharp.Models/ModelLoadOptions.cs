using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Models;

/// <summary>Knobs for <see cref="ModelLoader.Load"/>.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Threads of the model's own compute pool, the calling thread included; null = one per core.</summary>
    public int? Threads { get; init; }

    /// <summary>Tokens processed per internal batch: longer prompts are split into chunks of this size (bounds scratch memory).</summary>
    public int MaxBatchTokens { get; init; } = 512;

    /// <summary>The pool a model loaded with these options owns (and disposes).</summary>
    internal ComputePool CreatePool()
    {
        int threads = Threads ?? Environment.ProcessorCount;
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), threads, "compute threads must be at least 1");
        return new ComputePool(threads);
    }

    /// <summary>Compute straight from the file's memory map in its block layout (4 KB file pages) instead of copying the
    /// weights once into memory laid out for the kernels (row-interleaved tiles on transparent huge pages).</summary>
    public bool Mmap { get; init; }

    /// <summary>Element type of the dense models' KV cache: F32 (default) or F16 (half the memory and the bytes attention
    /// streams per token, as llama.cpp; opt-in until a divergence it causes in constrained generation on a random-weight
    /// q4_k_m model is understood: docs/performance.md). deepseek2's compressed MLA cache stays F32 (~35x smaller already).</summary>
    public GgmlType KvType
    {
        get => _kvType;
        init => _kvType = value is GgmlType.F16 or GgmlType.F32 ? value
            : throw new ArgumentOutOfRangeException(nameof(KvType), value, "the KV cache type must be F16 or F32");
    }

    private readonly GgmlType _kvType = GgmlType.F32;

    /// <summary>Parses a `--kv-type` value: f16 or f32.</summary>
    public static GgmlType ParseKvType(string text) => text.ToLowerInvariant() switch
    {
        "f16" => GgmlType.F16,
        "f32" => GgmlType.F32,
        _ => throw new ArgumentException($"unknown KV cache type '{text}' (expected f16 or f32)"),
    };
}
