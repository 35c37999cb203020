using System.Text.Json.Serialization;
using R1Sharp.Training.Grpo.Rewards;

namespace R1Sharp.Training.Grpo;

/// <summary>Settings of a `r1 train grpo` run (saved in every checkpoint; a resume uses them unchanged). Flags and
/// defaults: docs/grpo.md.</summary>
public sealed record GrpoOptions
{
    /// <summary>The starting policy: a GGUF model or an SFT run directory (its checkpoint.gguf).</summary>
    public required string Policy { get; init; }
    /// <summary>JSONL prompts: {"prompt" or "messages", "answer", "task"} (<see cref="GrpoPrompts"/>).</summary>
    public required string DataPath { get; init; }
    /// <summary>The objective's knobs: loss type, beta, epsilon(s), reward scaling, temperature, max completion length.</summary>
    public GrpoSettings Objective { get; init; } = new();
    /// <summary>Prompts (groups) per optimizer step.</summary>
    public int PromptsPerStep { get; init; } = 4;
    /// <summary>G: completions sampled per prompt.</summary>
    public int NumGenerations { get; init; } = 8;
    /// <summary>mu: optimizer steps per sampled batch (the importance ratio to the sampling policy corrects the reuse).</summary>
    public int NumIterations { get; init; } = 1;
    public int Steps { get; init; } = 100;
    /// <summary>Completions cut by the length limit keep their reward in their group but get no loss.</summary>
    public bool MaskTruncated { get; init; }
    /// <summary>DAPO's dynamic sampling: groups whose rewards are all equal are dropped and more prompts are sampled.</summary>
    public bool DropUniformGroups { get; init; }
    /// <summary>Sampling rounds per step at most (with <see cref="DropUniformGroups"/>): the batch may stay short of full.</summary>
    public int MaxSamplingRounds { get; init; } = 4;
    /// <summary>Reward terms "NAME:WEIGHT" (<see cref="RewardSpec"/>).</summary>
    public IReadOnlyList<string> Rewards { get; init; } = ["accuracy:1", "format:0.2"];
    /// <summary>External reward commands by name (<see cref="CommandReward"/>).</summary>
    public IReadOnlyDictionary<string, string> RewardCommands { get; init; } = new Dictionary<string, string>();
    /// <summary>DAPO's L_cache for the overlong reward; null = a quarter of the maximum completion length.</summary>
    public int? OverlongBuffer { get; init; }
    public double RewardTimeoutSeconds { get; init; } = 300;
    public double LearningRate { get; init; } = 1e-5;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;
    public float Eps { get; init; } = 1e-8f;
    public float WeightDecay { get; init; }
    public string Schedule { get; init; } = "constant";
    public int WarmupSteps { get; init; }
    public double MinLrRatio { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    public int SaveEvery { get; init; } = 10;
    /// <summary>Every this many steps a few completions go to DIR/samples.txt (0 = never).</summary>
    public int SampleEvery { get; init; } = 10;
    /// <summary>Engine slots for rollouts (0 = one per completion of a round, up to 256).</summary>
    public int RolloutSlots { get; init; }
    public ulong Seed { get; init; } = 1;

    [JsonIgnore] public AdamWOptions Optimizer => new() { Beta1 = Beta1, Beta2 = Beta2, Eps = Eps, WeightDecay = WeightDecay };
    [JsonIgnore] public LearningRateSchedule LearningRates => new(LearningRate, Schedule, WarmupSteps, MinLrRatio, Steps);
    [JsonIgnore] public int EffectiveOverlongBuffer => OverlongBuffer ?? Math.Max(1, Objective.MaxCompletionLength / 4);

    public void Validate()
    {
        Objective.Validate();
        if (Objective.Temperature > 2) throw new ArgumentException("--temperature must be at most 2 (the sampler's range)");
        if (PromptsPerStep < 1) throw new ArgumentException("--prompts-per-step must be at least 1");
        if (NumGenerations < 2) throw new ArgumentException("--num-generations must be at least 2 (advantages are relative to the group)");
        if (NumIterations < 1) throw new ArgumentException("--num-iterations must be at least 1");
        if (Steps < 1) throw new ArgumentException("--steps must be at least 1");
        if (MaxSamplingRounds < 1) throw new ArgumentException("--max-sampling-rounds must be at least 1");
        Optimizer.Validate();
        LearningRates.Validate();
        if (!(MaxGradNorm >= 0)) throw new ArgumentException("--max-grad-norm must be >= 0 (0 = off)");
        if (SaveEvery < 1) throw new ArgumentException("--save-every must be at least 1");
        if (SampleEvery < 0) throw new ArgumentException("--sample-every must be >= 0");
        if (RolloutSlots < 0) throw new ArgumentException("--rollout-slots must be >= 0");
        if (!(RewardTimeoutSeconds > 0)) throw new ArgumentException("--reward-timeout must be positive");
        if (Rewards.Count == 0 && RewardCommands.Count == 0) throw new ArgumentException("at least one --reward is needed");
        foreach (string r in Rewards) RewardSpec.Parse(r);
        if (OverlongBuffer is int b && (b < 1 || b > Objective.MaxCompletionLength))
            throw new ArgumentException($"--overlong-buffer must be between 1 and --max-completion-length ({Objective.MaxCompletionLength})");
    }
}
