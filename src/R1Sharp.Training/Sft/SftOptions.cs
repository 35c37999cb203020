using System.Text.Json.Serialization;
namespace R1Sharp.Training.Sft;

/// <summary>Settings of a supervised fine-tuning run (saved in every checkpoint; a resume uses them unchanged).</summary>
public sealed record SftOptions
{
    /// <summary>GGUF model to start from (or null with <see cref="ConfigPath"/>).</summary>
    public string? InitModel { get; init; }
    /// <summary>JSON shape + tokenizer for a fresh seeded initialization (docs/training.md).</summary>
    public string? ConfigPath { get; init; }
    public required string DataPath { get; init; }
    /// <summary>Rows per forward pass.</summary>
    public int BatchSize { get; init; } = 8;
    /// <summary>Forward/backward passes whose gradients are summed per optimizer step (rows per step = BatchSize * GradAccum).</summary>
    public int GradAccum { get; init; } = 1;
    public int Steps { get; init; } = 100;
    public double LearningRate { get; init; } = 1e-3;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;
    public float Eps { get; init; } = 1e-8f;
    public float WeightDecay { get; init; }
    /// <summary>"constant" or "cosine" (both with a linear warmup over <see cref="WarmupSteps"/>).</summary>
    public string Schedule { get; init; } = "constant";
    public int WarmupSteps { get; init; }
    /// <summary>Cosine floor as a fraction of the learning rate.</summary>
    public double MinLrRatio { get; init; }
    /// <summary>Global gradient-norm clipping threshold; 0 disables it.</summary>
    public double MaxGradNorm { get; init; }
    public int SaveEvery { get; init; } = 100;
    public ulong Seed { get; init; } = 1;

    public void Validate()
    {
        if (InitModel == null == (ConfigPath == null)) throw new ArgumentException("give exactly one of --init MODEL.gguf and --config SHAPE.json");
        if (BatchSize < 1) throw new ArgumentException("--batch-size must be at least 1");
        if (GradAccum < 1) throw new ArgumentException("--grad-accum must be at least 1");
        if (Steps < 1) throw new ArgumentException("--steps must be at least 1");
        Optimizer.Validate();
        LearningRates.Validate();
        if (!(MaxGradNorm >= 0)) throw new ArgumentException("--max-grad-norm must be >= 0 (0 = off)");
        if (SaveEvery < 1) throw new ArgumentException("--save-every must be at least 1");
    }

    [JsonIgnore] public AdamWOptions Optimizer => new() { Beta1 = Beta1, Beta2 = Beta2, Eps = Eps, WeightDecay = WeightDecay };
    [JsonIgnore] public LearningRateSchedule LearningRates => new(LearningRate, Schedule, WarmupSteps, MinLrRatio, Steps);

    /// <summary>Learning rate of optimizer step <paramref name="step"/> (1-based).</summary>
    public double LearningRateAt(int step) => LearningRates.At(step);
}
