namespace R1Sharp.Training.Grpo;

/// <summary>
/// The loss of one micro-batch and the metrics TRL logs, each a mean over its completion tokens with a loss:
/// <see cref="Kl"/> (k3 estimate; null when beta is 0), <see cref="Entropy"/> of the temperature-scaled policy,
/// clip fractions (low: ratio &lt; 1 - eps with A &lt; 0; high: ratio &gt; 1 + eps_high with A &gt; 0; region: either).
/// </summary>
public sealed record GrpoResult(double Loss, long Tokens, double? Kl, double Entropy, double ClipLow, double ClipHigh, double ClipRegion);
