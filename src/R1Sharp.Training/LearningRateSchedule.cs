namespace R1Sharp.Training;

/// <summary>
/// The learning rate of every trainer (SFT, GRPO): a linear warmup over <see cref="WarmupSteps"/>, then constant or a
/// cosine decay to <see cref="MinLrRatio"/> x <see cref="Peak"/> at step <see cref="Steps"/>.
/// </summary>
public readonly record struct LearningRateSchedule(double Peak, string Kind, int WarmupSteps, double MinLrRatio, int Steps)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the CLI flag of the first bad value.</summary>
    public void Validate()
    {
        if (!(Peak > 0) || double.IsInfinity(Peak)) throw new ArgumentException("--lr must be a positive number");
        if (Kind is not ("constant" or "cosine")) throw new ArgumentException($"--lr-schedule must be constant or cosine, not '{Kind}'");
        if (WarmupSteps < 0 || WarmupSteps > Steps) throw new ArgumentException("--warmup-steps must be between 0 and --steps");
        if (!(MinLrRatio >= 0 && MinLrRatio <= 1)) throw new ArgumentException("--min-lr-ratio must be in [0, 1]");
    }

    /// <summary>Learning rate of optimizer step <paramref name="step"/> (1-based).</summary>
    public double At(int step)
    {
        if (WarmupSteps > 0 && step <= WarmupSteps) return Peak * step / WarmupSteps;
        if (Kind == "constant") return Peak;
        double progress = Steps == WarmupSteps ? 1 : (double)(step - WarmupSteps) / (Steps - WarmupSteps);
        double min = Peak * MinLrRatio;
        return min + 0.5 * (Peak - min) * (1 + Math.Cos(Math.PI * Math.Clamp(progress, 0, 1)));
    }
}
