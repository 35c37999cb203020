using R1Sharp.Training.Data;

namespace R1Sharp.Training;

public static class ModelSteps
{
    /// <summary>
    /// Forward pass (and, with <paramref name="backward"/>, backward pass adding into the gradients) over
    /// <paramref name="rows"/> as one [B, T] batch. The loss is sum(weight * CE) / <paramref name="normalizer"/>;
    /// the token-level mean over a batch uses <see cref="Batch.WeightedCount"/> of the whole optimizer step.
    /// </summary>
    public static double ForwardBackward(this TrainableModel model, IReadOnlyList<TrainingExample> rows, double normalizer, bool backward)
    {
        int t = Batch.SeqLength(rows);
        model.EnsureCapacity(rows.Count, t);
        Batch.Fill(model, rows, t);
        model.Forward(rows.Count, t);
        double loss = model.Loss((float)(1.0 / normalizer), prepareBackward: backward);
        if (backward) model.Backward();
        return loss;
    }

    /// <summary>Mean next-token loss and its gradient over all rows as one batch (what `r1 grad` computes).</summary>
    public static double LossAndGradients(this TrainableModel model, IReadOnlyList<TrainingExample> rows)
    {
        model.Gradients.Clear();
        return model.ForwardBackward(rows, Batch.WeightedCount(rows), backward: true);
    }
}
