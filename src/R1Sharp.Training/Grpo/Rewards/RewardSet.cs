namespace R1Sharp.Training.Grpo.Rewards;

/// <summary>
/// The reward of a GRPO run: the weighted sum of reward functions, built-in (accuracy, format, overlong) or external
/// commands defined by name. Scores of each function are kept for the logs.
/// </summary>
public sealed class RewardSet : IDisposable
{
    public static readonly string[] BuiltIn = [AccuracyReward.RewardName, FormatReward.RewardName, OverlongReward.RewardName];

    private readonly List<IRewardFunction> _functions;

    public IReadOnlyList<IRewardFunction> Functions => _functions;
    public IReadOnlyList<double> Weights { get; }
    public bool NeedsAnswers => _functions.Any(f => f is AccuracyReward);

    public RewardSet(IReadOnlyList<IRewardFunction> functions, IReadOnlyList<double> weights)
    {
        if (functions.Count == 0) throw new ArgumentException("at least one reward is needed");
        if (functions.Count != weights.Count) throw new ArgumentException("one weight per reward function");
        var dup = functions.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"reward '{dup.Key}' is given twice");
        _functions = [.. functions];
        Weights = [.. weights];
    }

    /// <summary>
    /// Builds the rewards named by <paramref name="specs"/>; a name is a built-in reward, one of
    /// <paramref name="commands"/> (name -> shell command) or one of <paramref name="custom"/> (reward functions of a
    /// program that uses the trainer as a library); a command or custom reward not named in the specs gets weight 1.
    /// </summary>
    public static RewardSet Create(IReadOnlyList<RewardSpec> specs, IReadOnlyDictionary<string, string> commands,
                                   int maxCompletionLength, int overlongBuffer, TimeSpan? commandTimeout = null,
                                   IReadOnlyList<IRewardFunction>? custom = null)
    {
        custom ??= [];
        foreach (var f in custom)
            if (BuiltIn.Contains(f.Name) || commands.ContainsKey(f.Name)) throw new ArgumentException($"reward '{f.Name}' is defined twice");
        foreach (string name in commands.Keys)
            if (BuiltIn.Contains(name)) throw new ArgumentException($"--reward-command {name}=...: '{name}' is a built-in reward; choose another name");
        var all = specs.ToList();
        foreach (string name in commands.Keys.Concat(custom.Select(f => f.Name)))
            if (!all.Any(s => s.Name == name)) all.Add(new RewardSpec(name, 1));
        var functions = new List<IRewardFunction>();
        try
        {
            foreach (var s in all)
                functions.Add(s.Name switch
                {
                    AccuracyReward.RewardName => new AccuracyReward(),
                    FormatReward.RewardName => new FormatReward(),
                    OverlongReward.RewardName => new OverlongReward(maxCompletionLength, overlongBuffer),
                    _ when commands.TryGetValue(s.Name, out string? cmd) => new CommandReward(s.Name, cmd, commandTimeout),
                    _ when custom.FirstOrDefault(f => f.Name == s.Name) is { } f => f,
                    _ => throw new ArgumentException($"unknown reward '{s.Name}' (built-in: {string.Join(", ", BuiltIn)}; or define it with --reward-command {s.Name}='COMMAND')"),
                });
            return new RewardSet(functions, all.Select(s => s.Weight).ToList());
        }
        catch
        {
            foreach (var f in functions) f.Dispose();
            throw;
        }
    }

    /// <summary>Scores of every function ([function][sample]) and the weighted total per sample.</summary>
    public (double[][] PerFunction, double[] Total) Score(IReadOnlyList<RewardSample> samples)
    {
        var per = new double[_functions.Count][];
        var total = new double[samples.Count];
        for (int f = 0; f < _functions.Count; f++)
        {
            per[f] = new double[samples.Count];
            _functions[f].Score(samples, per[f]);
            for (int i = 0; i < samples.Count; i++)
            {
                if (!double.IsFinite(per[f][i])) throw new InvalidOperationException($"reward '{_functions[f].Name}' gave {per[f][i]} (not a finite number)");
                total[i] += Weights[f] * per[f][i];
            }
        }
        return (per, total);
    }

    public void Dispose()
    {
        foreach (var f in _functions) f.Dispose();
    }
}
