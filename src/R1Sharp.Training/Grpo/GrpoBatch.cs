using R1Sharp.Training.Data;

namespace R1Sharp.Training.Grpo;

/// <summary>
/// Variable-length prompt+completion rows laid out as a [B, T] batch of a <see cref="TrainableModel"/>: row r is
/// prompt ++ completion without its last token, T the longest such row, padded at the end. Position
/// r * T + |prompt| - 1 + k predicts completion token k; only those positions (of rows with a loss) have weight 1,
/// so prompt tokens and padding carry no loss. Per-token arrays of the objective are indexed by position [B * T].
/// </summary>
public sealed class GrpoBatch
{
    private readonly TrainingExample[] _examples;

    public IReadOnlyList<GrpoRow> Rows { get; }
    /// <summary>B.</summary>
    public int Count => Rows.Count;
    /// <summary>T.</summary>
    public int SeqLength { get; }
    /// <summary>B * T.</summary>
    public int Positions => Count * SeqLength;
    /// <summary>Completion tokens that carry a loss (rows without <see cref="GrpoRow.NoLoss"/>).</summary>
    public long TokenCount { get; }

    public GrpoBatch(IReadOnlyList<GrpoRow> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("a GRPO batch needs at least one row");
        _examples = new TrainingExample[rows.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            if (row.Prompt.Length == 0 || row.Completion.Length == 0)
                throw new ArgumentException($"row {r + 1}: a row needs at least one prompt token and one completion token");
            var w = new float[row.Prompt.Length + row.Completion.Length - 1];
            if (!row.NoLoss)
            {
                for (int i = row.Prompt.Length - 1; i < w.Length; i++) w[i] = 1;
                TokenCount += row.Completion.Length;
            }
            _examples[r] = new TrainingExample(row.Sequence(), w, row.Line);
        }
        Rows = rows;
        SeqLength = Batch.SeqLength(_examples);
    }

    /// <summary>Position of completion token <paramref name="k"/> of row <paramref name="row"/>.</summary>
    public int Position(int row, int k) => row * SeqLength + Rows[row].Prompt.Length - 1 + k;

    /// <summary>Sizes the model for the batch and fills its tokens, targets and weights (the loss mask).</summary>
    public void Fill(TrainableModel model)
    {
        model.EnsureCapacity(Count, SeqLength);
        Batch.Fill(model, _examples, SeqLength);
    }
}
