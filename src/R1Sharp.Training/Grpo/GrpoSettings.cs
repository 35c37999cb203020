using System.Globalization;

namespace R1Sharp.Training.Grpo;

/// <summary>
/// The knobs of the GRPO objective, with TRL's GRPOConfig defaults: loss_type "dapo", beta 0 (no reference model),
/// epsilon 0.2, epsilon_high = epsilon, scale_rewards "group", temperature 1, max_completion_length 256.
/// </summary>
public sealed record GrpoSettings
{
    public GrpoLossType LossType { get; init; } = GrpoLossType.Dapo;
    /// <summary>Weight of the k3 KL estimate to the reference model (0: no reference needed).</summary>
    public double Beta { get; init; }
    /// <summary>Lower clip: ratios below 1 - Epsilon stop pushing down a negative advantage.</summary>
    public double Epsilon { get; init; } = 0.2;
    /// <summary>Upper clip (DAPO's clip-higher); null = <see cref="Epsilon"/>.</summary>
    public double? EpsilonHigh { get; init; }
    public RewardScaling ScaleRewards { get; init; } = RewardScaling.Group;
    /// <summary>Sampling temperature: per-token log-probs use logits / Temperature.</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>The longest completion sampled; dr_grpo's constant denominator.</summary>
    public int MaxCompletionLength { get; init; } = 256;

    public double UpperEpsilon => EpsilonHigh ?? Epsilon;

    public void Validate()
    {
        if (!(Beta >= 0) || double.IsInfinity(Beta)) throw new ArgumentException($"beta must be a finite number >= 0, not {Fmt(Beta)}");
        if (!(Epsilon >= 0 && Epsilon < 1)) throw new ArgumentException($"epsilon must be in [0, 1), not {Fmt(Epsilon)}");
        if (!(UpperEpsilon >= 0) || double.IsInfinity(UpperEpsilon)) throw new ArgumentException($"epsilon-high must be a finite number >= 0, not {Fmt(UpperEpsilon)}");
        if (!(Temperature > 0) || double.IsInfinity(Temperature)) throw new ArgumentException($"temperature must be a finite number > 0, not {Fmt(Temperature)}");
        if (MaxCompletionLength < 1) throw new ArgumentException($"max-completion-length must be at least 1, not {MaxCompletionLength}");
    }

    /// <summary>TRL's names: grpo, bnpo, dr_grpo, dapo.</summary>
    public static GrpoLossType ParseLossType(string name) => name.ToLowerInvariant() switch
    {
        "grpo" => GrpoLossType.Grpo,
        "bnpo" => GrpoLossType.Bnpo,
        "dr_grpo" => GrpoLossType.DrGrpo,
        "dapo" => GrpoLossType.Dapo,
        _ => throw new ArgumentException($"unknown loss type '{name}' (expected grpo, bnpo, dr_grpo or dapo)"),
    };

    public static string Name(GrpoLossType type) => type switch
    {
        GrpoLossType.Grpo => "grpo",
        GrpoLossType.Bnpo => "bnpo",
        GrpoLossType.DrGrpo => "dr_grpo",
        _ => "dapo",
    };

    /// <summary>TRL's names: group, batch, none.</summary>
    public static RewardScaling ParseScaleRewards(string name) => name.ToLowerInvariant() switch
    {
        "group" => RewardScaling.Group,
        "batch" => RewardScaling.Batch,
        "none" => RewardScaling.None,
        _ => throw new ArgumentException($"unknown reward scaling '{name}' (expected group, batch or none)"),
    };

    public static string Name(RewardScaling scaling) => scaling switch
    {
        RewardScaling.Group => "group",
        RewardScaling.Batch => "batch",
        _ => "none",
    };

    private static string Fmt(double x) => x.ToString(CultureInfo.InvariantCulture);
}
