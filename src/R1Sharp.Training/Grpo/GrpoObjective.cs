using R1Sharp.Training.Kernels;

namespace R1Sharp.Training.Grpo;

/// <summary>
/// The GRPO objective as TRL's GRPOTrainer computes it (docs/training.md, "GRPO"), over a <see cref="TrainableModel"/>:
/// per-token log-probs of the completion tokens under logits / temperature, the clipped surrogate with the importance
/// ratio to the sampling ("old") policy, the k3 KL to a frozen reference times beta, aggregated by the loss type.
/// The gradient goes through the temperature-scaled log-softmax in place of the logits, then through the model.
/// Per-token scratch ([B * T] values) is owned here and grows with the largest batch.
/// </summary>
public sealed unsafe class GrpoObjective
{
    private double[] _logp = [], _entropy = [], _lse = [], _dlogp = [];

    public GrpoSettings Settings { get; }

    public GrpoObjective(GrpoSettings settings)
    {
        settings.Validate();
        Settings = settings;
    }

    /// <summary>
    /// Log-probs [B * T] of every completion token of the batch under <paramref name="model"/> at the objective's
    /// temperature (0 at positions without a loss): a forward pass, no gradients. The old and reference log-probs.
    /// </summary>
    public double[] LogProbs(TrainableModel model, GrpoBatch batch)
    {
        ForwardLogProbs(model, batch);
        return _logp.AsSpan(0, batch.Positions).ToArray();
    }

    /// <summary>
    /// Forward pass of the policy over the batch, the loss and metrics; with <paramref name="backward"/> the gradient
    /// is added into <paramref name="policy"/>'s gradients. <paramref name="advantages"/>: one per row.
    /// <paramref name="oldLogProbs"/>: from <see cref="LogProbs"/> with the policy that sampled the completions
    /// (null: the policy itself, detached, so every ratio is 1). <paramref name="refLogProbs"/>: from the reference
    /// model (needed when beta is not 0).
    /// </summary>
    public GrpoResult ForwardBackward(TrainableModel policy, GrpoBatch batch, ReadOnlySpan<double> advantages,
                                      double[]? oldLogProbs, double[]? refLogProbs, GrpoAccumulation accumulation, bool backward)
    {
        var s = Settings;
        int n = batch.Positions;
        if (advantages.Length != batch.Count) throw new ArgumentException($"{advantages.Length} advantages for {batch.Count} rows");
        if (oldLogProbs != null && oldLogProbs.Length < n) throw new ArgumentException("old log-probs do not cover the batch");
        if (s.Beta != 0 && refLogProbs == null) throw new ArgumentException("beta is not 0: the reference model's log-probs are needed");
        if (refLogProbs != null && refLogProbs.Length < n) throw new ArgumentException("reference log-probs do not cover the batch");
        if (accumulation.Steps < 1) throw new ArgumentException("accumulation steps must be at least 1");
        CheckCompletionLengths(batch);

        ForwardLogProbs(policy, batch);
        Array.Clear(_dlogp, 0, n);
        double loss = 0, kl = 0, entropy = 0;
        long tokens = 0, low = 0, high = 0;
        double eps = s.Epsilon, epsHigh = s.UpperEpsilon, beta = s.Beta;
        for (int r = 0; r < batch.Count; r++)
        {
            var row = batch.Rows[r];
            if (row.NoLoss) continue;
            double w = TokenWeight(s, row.Completion.Length, batch, accumulation), a = advantages[r];
            for (int k = 0; k < row.Completion.Length; k++)
            {
                int p = batch.Position(r, k);
                double logp = _logp[p];
                double l = GrpoTokenLoss.Evaluate(logp, oldLogProbs?[p] ?? logp, refLogProbs?[p] ?? 0, a, eps, epsHigh, beta,
                                                  out double dl, out double tokenKl, out var clip);
                loss += w * l;
                _dlogp[p] = w * dl;
                kl += tokenKl;
                entropy += _entropy[p];
                if (clip == TokenClip.Low) low++;
                else if (clip == TokenClip.High) high++;
                tokens++;
            }
        }
        if (backward)
        {
            fixed (float* z = policy.Logits, mask = policy.Weights)
            fixed (int* targets = policy.Targets)
            fixed (double* dlogp = _dlogp, lse = _lse)
                TokenLogProbs.Backward(policy.Pool, z, targets, mask, dlogp, lse, n, policy.Config.VocabSize, s.Temperature);
            policy.Backward();
        }
        double count = Math.Max(tokens, 1);
        return new GrpoResult(loss, tokens, beta != 0 ? kl / count : null, entropy / count, low / count, high / count, (low + high) / count);
    }

    /// <summary>
    /// What `r1 grad --objective grpo` computes: advantages over all rows, the rows as one batch (one optimizer step),
    /// the loss and, replacing <paramref name="policy"/>'s gradients, d loss / d every parameter. The old and
    /// reference models are loaded one at a time, used for their log-probs and disposed (null old: the policy,
    /// ratio 1; null reference: only allowed when beta is 0).
    /// </summary>
    public GrpoResult LossAndGradients(TrainableModel policy, IReadOnlyList<GrpoRow> rows, Func<TrainableModel>? loadOld, Func<TrainableModel>? loadReference)
    {
        if (Settings.Beta != 0 && loadReference == null) throw new ArgumentException("beta is not 0: a reference model is needed");
        var batch = new GrpoBatch(rows);
        CheckCompletionLengths(batch);
        var advantages = GrpoAdvantages.Compute(rows.Select(r => r.Reward).ToList(), rows.Select(r => r.Group).ToList(), Settings.ScaleRewards);
        double[]? old = loadOld == null ? null : LogProbsOf(loadOld, "old", policy, batch);
        double[]? reference = Settings.Beta == 0 || loadReference == null ? null : LogProbsOf(loadReference, "reference", policy, batch);
        policy.Gradients.Clear();
        return ForwardBackward(policy, batch, advantages, old, reference, GrpoAccumulation.Single(batch), backward: true);
    }

    private double[] LogProbsOf(Func<TrainableModel> load, string role, TrainableModel policy, GrpoBatch batch)
    {
        using var model = load();
        if (model.Config.VocabSize != policy.Config.VocabSize)
            throw new ArgumentException($"the {role} model's vocabulary ({model.Config.VocabSize} tokens) differs from the policy's ({policy.Config.VocabSize})");
        return LogProbs(model, batch);
    }

    private void CheckCompletionLengths(GrpoBatch batch)
    {
        foreach (var row in batch.Rows)
            if (row.Completion.Length > Settings.MaxCompletionLength)
                throw new ArgumentException($"{Where(row)}completion of {row.Completion.Length} tokens is longer than max-completion-length {Settings.MaxCompletionLength}");
    }

    /// <summary>d loss / d L_t for a token of a completion of <paramref name="length"/> tokens.</summary>
    private static double TokenWeight(GrpoSettings s, int length, GrpoBatch batch, GrpoAccumulation acc) => s.LossType switch
    {
        GrpoLossType.Grpo => 1.0 / ((double)length * batch.Count * acc.Steps),
        GrpoLossType.Bnpo => 1.0 / ((double)Math.Max(batch.TokenCount, 1) * acc.Steps),
        GrpoLossType.DrGrpo => 1.0 / ((double)batch.Count * s.MaxCompletionLength * acc.Steps),
        _ => 1.0 / Math.Max(acc.Tokens, 1),
    };

    private void ForwardLogProbs(TrainableModel model, GrpoBatch batch)
    {
        int n = batch.Positions;
        if (_logp.Length < n)
        {
            _logp = new double[n]; _entropy = new double[n]; _lse = new double[n]; _dlogp = new double[n];
        }
        batch.Fill(model);
        model.Forward(batch.Count, batch.SeqLength);
        fixed (float* z = model.Logits, mask = model.Weights)
        fixed (int* targets = model.Targets)
        fixed (double* logp = _logp, entropy = _entropy, lse = _lse)
            TokenLogProbs.Forward(model.Pool, z, targets, mask, logp, entropy, lse, n, model.Config.VocabSize, Settings.Temperature);
    }

    private static string Where(GrpoRow row) => row.Line > 0 ? $"line {row.Line}: " : "";
}
