namespace R1Sharp.Models;

/// <summary>Knobs for <see cref="ModelLoader.Load"/>.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Compute threads (sets ComputePool.Shared.Threads); null keeps the pool's setting.</summary>
    public int? Threads { get; init; }

    /// <summary>Tokens processed per internal batch: longer prompts are split into chunks of this size (bounds scratch memory).</summary>
    public int MaxBatchTokens { get; init; } = 512;

    /// <summary>Compute straight from the file's memory map in its block layout (4 KB file pages) instead of copying the
    /// weights once into memory laid out for the kernels (row-interleaved tiles on transparent huge pages).</summary>
    public bool Mmap { get; init; }
}
