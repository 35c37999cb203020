namespace R1Sharp.Training.Grpo;

/// <summary>
/// Group-relative advantages, as TRL computes them over a generation batch:
/// A_i = r_i - mean_g (none), (r_i - mean_g) / (std_g + 1e-4) (group), (r_i - mean_g) / (std_B + 1e-4) (batch),
/// std with n - 1. A group whose rewards are all equal gets advantage 0; a group of one completion has std 0.
/// </summary>
internal static class GrpoAdvantages
{
    public const double StdEpsilon = 1e-4;

    public static double[] Compute(IReadOnlyList<double> rewards, IReadOnlyList<int> groups, RewardScaling scaling)
    {
        if (rewards.Count != groups.Count) throw new ArgumentException($"{rewards.Count} rewards but {groups.Count} group ids");
        var members = new Dictionary<int, List<int>>();
        for (int i = 0; i < groups.Count; i++)
        {
            if (!double.IsFinite(rewards[i])) throw new ArgumentException($"reward {i} is not a finite number ({rewards[i]})");
            if (!members.TryGetValue(groups[i], out var list)) members[groups[i]] = list = [];
            list.Add(i);
        }
        double batchStd = Std(Enumerable.Range(0, rewards.Count).ToList(), rewards);
        var a = new double[rewards.Count];
        foreach (var list in members.Values)
        {
            if (list.TrueForAll(i => rewards[i] == rewards[list[0]])) continue; // no signal (exactly 0, not roundoff / 1e-4)
            double mean = Mean(list, rewards);
            double scale = scaling switch
            {
                RewardScaling.Group => 1.0 / (Std(list, rewards) + StdEpsilon),
                RewardScaling.Batch => 1.0 / (batchStd + StdEpsilon),
                _ => 1.0,
            };
            foreach (int i in list) a[i] = (rewards[i] - mean) * scale;
        }
        return a;
    }

    private static double Mean(List<int> idx, IReadOnlyList<double> r)
    {
        double s = 0;
        foreach (int i in idx) s += r[i];
        return s / idx.Count;
    }

    /// <summary>Sample standard deviation (n - 1); 0 for fewer than two values.</summary>
    private static double Std(List<int> idx, IReadOnlyList<double> r)
    {
        if (idx.Count < 2) return 0;
        double mean = Mean(idx, r), s = 0;
        foreach (int i in idx) s += (r[i] - mean) * (r[i] - mean);
        return Math.Sqrt(s / (idx.Count - 1));
    }
}
