using System.Globalization;

namespace R1Sharp.Training.Grpo.Rewards;

/// <summary>One term of the reward: a reward function by name and its weight (`--reward NAME[:WEIGHT]`, weight 1 when left out).</summary>
public sealed record RewardSpec(string Name, double Weight)
{
    public static RewardSpec Parse(string text)
    {
        string name = text, weight = "1";
        int colon = text.LastIndexOf(':');
        if (colon >= 0) (name, weight) = (text[..colon], text[(colon + 1)..]);
        name = name.Trim();
        if (name.Length == 0) throw new ArgumentException($"--reward '{text}': expected NAME[:WEIGHT], e.g. accuracy:1");
        if (!double.TryParse(weight, NumberStyles.Float, CultureInfo.InvariantCulture, out double w) || !double.IsFinite(w))
            throw new ArgumentException($"--reward '{text}': the weight must be a number (NAME:WEIGHT)");
        return new RewardSpec(name, w);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name}:{Weight:R}");
}
