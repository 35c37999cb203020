namespace R1Sharp.Training.Data;

/// <summary>
/// One training sequence: its token ids and, for each predicted position i (predicting Tokens[i + 1] from
/// Tokens[0..i]), a loss weight; <see cref="Weights"/> null means every next token counts with weight 1.
/// <see cref="Line"/> is the 1-based line of the data file it came from (for error messages).
/// </summary>
public sealed record TrainingExample(int[] Tokens, float[]? Weights, int Line = 0)
{
    public int PredictedCount => Tokens.Length - 1;

    public float WeightAt(int i) => Weights?[i] ?? 1f;
}
