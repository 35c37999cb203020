namespace R1Sharp.Training.Grpo;

/// <summary>What one GRPO optimizer step did: the loss and optimizer figures and every logged statistic in log order
/// (docs/grpo.md lists them). <see cref="Sampled"/>: the step sampled a new batch (else it reused the last one).</summary>
public sealed record GrpoStepResult(int Step, bool Sampled, IReadOnlyList<KeyValuePair<string, double>> Stats)
{
    public double this[string key] => Stats.First(kv => kv.Key == key).Value;

    public double? Get(string key) => Stats.Where(kv => kv.Key == key).Select(kv => (double?)kv.Value).FirstOrDefault();
}
