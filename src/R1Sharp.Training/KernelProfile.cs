using System.Diagnostics;

namespace R1Sharp.Training;

/// <summary>Wall time per kernel family of <see cref="TrainableModel"/>'s forward and backward passes (for benchmarks).</summary>
public sealed class KernelProfile
{
    public static readonly string[] Names =
        ["matmul fwd", "matmul bwd", "attention fwd", "attention bwd", "rmsnorm", "rope", "swiglu", "cross-entropy", "embedding", "residual add"];
    public const int MatmulFwd = 0, MatmulBwd = 1, AttnFwd = 2, AttnBwd = 3, Norm = 4, Rope = 5, SwiGlu = 6, CrossEntropy = 7, Embedding = 8, Add = 9;

    public readonly double[] Seconds = new double[Names.Length];
    private long _start;

    public void Begin() => _start = Stopwatch.GetTimestamp();
    public void End(int kind) => Seconds[kind] += Stopwatch.GetElapsedTime(_start).TotalSeconds;
    public void Reset() => Array.Clear(Seconds);
}
