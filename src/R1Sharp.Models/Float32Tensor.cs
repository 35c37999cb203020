namespace R1Sharp.Models;

/// <summary>A float32 tensor in memory someone else owns (a trainer's parameter slab), row-major with
/// <paramref name="Dims"/> in GGUF order (row length first). A model built over such tensors reads them in place:
/// it sees every later change of the values.</summary>
public readonly record struct Float32Tensor(nint Data, long[] Dims);
