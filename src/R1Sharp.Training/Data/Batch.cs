namespace R1Sharp.Training.Data;

/// <summary>Lays examples out as a [B, T] batch in a model's input buffers (each row its own sequence, padded at the end).</summary>
public static class Batch
{
    /// <summary>T for these examples: the longest row's predicted positions.</summary>
    public static int SeqLength(IReadOnlyList<TrainingExample> rows) => rows.Max(r => r.PredictedCount);

    /// <summary>Number of positions with a non-zero weight (the token-level mean's denominator).</summary>
    public static long WeightedCount(IReadOnlyList<TrainingExample> rows)
    {
        long n = 0;
        foreach (var r in rows)
            for (int i = 0; i < r.PredictedCount; i++) if (r.WeightAt(i) != 0) n++;
        return n;
    }

    /// <summary>Fills tokens/targets/weights of <paramref name="model"/> for B = rows.Count, T = <paramref name="t"/>.</summary>
    public static void Fill(TrainableModel model, IReadOnlyList<TrainingExample> rows, int t)
    {
        Span<int> tokens = model.Tokens, targets = model.Targets;
        Span<float> weights = model.Weights;
        for (int r = 0; r < rows.Count; r++)
        {
            var ex = rows[r];
            int len = ex.PredictedCount;
            if (len > t) throw new ArgumentException($"row of {len} predicted tokens does not fit T = {t}");
            for (int i = 0; i < t; i++)
            {
                int o = r * t + i;
                if (i < len)
                {
                    tokens[o] = ex.Tokens[i];
                    targets[o] = ex.Tokens[i + 1];
                    weights[o] = ex.WeightAt(i);
                }
                else
                {
                    tokens[o] = 0; targets[o] = 0; weights[o] = 0;
                }
            }
        }
    }
}
