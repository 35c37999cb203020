using R1Sharp.Gguf;

namespace R1Sharp.Models.DeepSeek2;

/// <summary>
/// Memory planning for a deepseek2 file: parameters in total and per token (routed experts count only for the
/// ExpertsUsed a token selects), weight bytes, and the compressed MLA cache per token.
/// </summary>
public sealed record DeepSeek2Footprint(long TotalParameters, long ActiveParameters, long WeightBytes, long ActiveWeightBytes,
                                        long KvBytesPerToken, long KvBytesPerToken16)
{
    public static DeepSeek2Footprint Of(GgufFile file, DeepSeek2Config c)
    {
        long total = 0, active = 0, bytes = 0, activeBytes = 0;
        foreach (var t in file.Tensors)
        {
            long n = t.ElementCount;
            total += n;
            bytes += t.ByteSize;
            bool routed = t.Name.Contains("_exps.", StringComparison.Ordinal);
            bool embedding = t.Name == "token_embd.weight";   // a lookup reads one row, not the matrix
            long share = routed ? n * c.ExpertsUsed / Math.Max(1, c.ExpertCount) : embedding ? t.RowLength : n;
            active += share;
            activeBytes += routed ? t.ByteSize * c.ExpertsUsed / Math.Max(1, c.ExpertCount) : embedding ? t.ByteSize / t.Rows : t.ByteSize;
        }
        long perToken = (long)c.LayerCount * (c.KvLoraRank + c.RopeDims);
        return new DeepSeek2Footprint(total, active, bytes, activeBytes, perToken * sizeof(float), perToken * 2);
    }
}
