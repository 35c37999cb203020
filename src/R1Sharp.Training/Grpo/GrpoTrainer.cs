using System.Diagnostics;
using System.Text;
using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.Inference;
using R1Sharp.Inference.Batching;
using R1Sharp.Numerics;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Training.Grpo.Rewards;
using R1Sharp.Tokenization;
using R1Sharp.Training.Sft;

namespace R1Sharp.Training.Grpo;

/// <summary>
/// `r1 train grpo`: group relative policy optimization with verifiable rewards (docs/grpo.md). Each step samples G
/// completions for each of P prompts through the generation engine on the policy, scores them, turns rewards into
/// group-relative advantages and takes an AdamW step on <see cref="GrpoObjective"/>; a sampled batch serves
/// --num-iterations steps. Checkpoints (DIR/checkpoint.gguf, <see cref="TrainingCheckpoint"/>) hold the policy,
/// AdamW's moments, the step, the prompt order with its cursor, the RNG and the batch in use; rollouts are seeded
/// by (seed, step, round), so a resumed run reproduces an uninterrupted one bit for bit.
/// </summary>
public sealed class GrpoTrainer : IDisposable
{
    public const string LogFile = "log.jsonl";
    public const string SamplesFile = "samples.txt";
    /// <summary>The frozen starting policy (written when beta &gt; 0).</summary>
    public const string ReferenceFile = "reference.gguf";
    private const string Prefix = TrainingCheckpoint.Prefix;
    private const string Kind = "grpo";

    private readonly ComputePool _pool;
    private readonly TrainableModel _policy;
    private readonly TrainableModel? _reference;
    private readonly AdamW _optimizer;
    private readonly GrpoObjective _objective;
    private readonly RewardSet _rewards;
    private readonly List<GrpoPrompt> _prompts;
    private readonly List<MetadataEntry> _metadata;
    private readonly string _dataHash;
    private readonly BatchingEngine _engine;
    private readonly ShuffledOrder _order;
    private GrpoRolloutBatch? _batch;

    public GrpoOptions Options { get; }
    public string OutputDirectory { get; }
    /// <summary>Optimizer steps completed.</summary>
    public int Step { get; private set; }
    public TrainableModel Model => _policy;
    public int PromptCount => _prompts.Count;
    public RewardSet Rewards => _rewards;

    private GrpoTrainer(GrpoOptions options, string dir, ComputePool pool, TrainableModel policy, TrainableModel? reference,
                        List<MetadataEntry> metadata, List<GrpoPrompt> prompts, string dataHash, RewardSet rewards, GgufFile file)
    {
        Options = options;
        OutputDirectory = dir;
        _pool = pool;
        _policy = policy;
        _reference = reference;
        _metadata = metadata;
        _prompts = prompts;
        _dataHash = dataHash;
        _rewards = rewards;
        _objective = new GrpoObjective(options.Objective);
        _optimizer = new AdamW(policy.Parameters, options.Optimizer, pool);
        _order = new ShuffledOrder(prompts.Count, options.Seed);
        // Rollouts: the one generation engine over the policy's live parameters (no copy, no file); after every
        // optimizer step it is told the weights changed, so no KV cached with old weights is reused.
        var tokenizer = Tokenizer.FromGguf(file);
        var live = policy.CreateInferenceModel();
        int slots = options.RolloutSlots > 0 ? options.RolloutSlots : Math.Min(256, options.PromptsPerStep * options.NumGenerations);
        _engine = new BatchingEngine(live, tokenizer, LoadedModel.TemplateOf(file, tokenizer), "grpo-policy", new BatchingOptions
        {
            Slots = slots, QueueSize = Math.Max(64, options.PromptsPerStep * options.NumGenerations), DefaultTimeout = TimeSpan.FromDays(1),
        }, owned: live);
    }

    /// <summary>A new run. Nothing is written before the model, the prompts and the rewards have loaded, except the
    /// frozen reference (beta &gt; 0).</summary>
    /// <param name="customRewards">reward functions in code, named by <see cref="GrpoOptions.Rewards"/> like built-in ones
    /// (a resume must be given the same)</param>
    public static GrpoTrainer Create(GrpoOptions options, string outDir, ComputePool pool, IReadOnlyList<IRewardFunction>? customRewards = null)
    {
        options.Validate();
        options = options with { Policy = Path.GetFullPath(options.Policy), DataPath = Path.GetFullPath(options.DataPath) };
        if (File.Exists(Path.Combine(outDir, TrainingCheckpoint.FileName)))
            throw new ArgumentException($"{outDir} already holds a run (use --resume {outDir}, or another --out)");
        string policyFile = Directory.Exists(options.Policy) ? TrainingCheckpoint.Existing(options.Policy) : options.Policy;
        if (!File.Exists(policyFile)) throw new FileNotFoundException($"policy not found: {options.Policy} (a GGUF model or an SFT run directory)");
        using var file = GgufFile.Open(policyFile);
        var policy = ModelGguf.Load(file, pool);
        TrainableModel? reference = null;
        RewardSet? rewards = null;
        GrpoTrainer t;
        try
        {
            var metadata = TrainingCheckpoint.ModelMetadata(file);
            rewards = CreateRewards(options, customRewards);
            var prompts = GrpoPrompts.Load(options.DataPath, rewards.NeedsAnswers);
            if (options.Objective.Beta != 0)
            {
                // The reference is the starting policy, frozen: kept in the run directory so a resume finds it
                // whatever happens to the file (or SFT run) the policy came from.
                Directory.CreateDirectory(outDir);
                TrainingCheckpoint.ModelWriter(metadata, policy).Write(Path.Combine(outDir, ReferenceFile));
                reference = LoadFrozen(Path.Combine(outDir, ReferenceFile), pool);
            }
            t = new GrpoTrainer(options, outDir, pool, policy, reference, metadata, prompts, TrainingCheckpoint.HashFile(options.DataPath), rewards, file);
        }
        catch
        {
            policy.Dispose();
            reference?.Dispose();
            rewards?.Dispose();
            throw;
        }
        try { t.CheckPromptLengths(); }
        catch
        {
            t.Dispose();
            throw;
        }
        return t;
    }

    /// <summary>Continues the run saved in <paramref name="dir"/>.</summary>
    public static GrpoTrainer Resume(string dir, ComputePool pool, IReadOnlyList<IRewardFunction>? customRewards = null)
    {
        string path = TrainingCheckpoint.Existing(dir);
        using var file = GgufFile.Open(path);
        if (file.GetString(Prefix + "kind") != Kind) throw new InvalidDataException($"{dir} is not a GRPO run (resume it with r1 train sft --resume)");
        var options = JsonSerializer.Deserialize<GrpoOptions>(file.RequireString(Prefix + "options"))
            ?? throw new InvalidDataException($"{path}: no training options");
        var policy = ModelGguf.Load(file, pool);
        TrainableModel? reference = null;
        RewardSet? rewards = null;
        try
        {
            string hash = TrainingCheckpoint.HashFile(options.DataPath);
            if (hash != file.RequireString(Prefix + "data_sha256"))
                throw new InvalidDataException($"the data file {options.DataPath} changed since the run started; resume needs the same data");
            rewards = CreateRewards(options, customRewards);
            var prompts = GrpoPrompts.Load(options.DataPath, rewards.NeedsAnswers);
            if (options.Objective.Beta != 0) reference = LoadFrozen(Path.Combine(dir, ReferenceFile), pool);
            var t = new GrpoTrainer(options, dir, pool, policy, reference, TrainingCheckpoint.ModelMetadata(file), prompts, hash, rewards, file);
            t.Step = (int)file.RequireInteger(Prefix + "step");
            TrainingCheckpoint.ReadOptimizer(file, t._optimizer, t.Step);
            t._order.Restore(file);
            if (file.GetString(Prefix + "batch") is string batch) t._batch = JsonSerializer.Deserialize<GrpoRolloutBatch>(batch);
            return t;
        }
        catch
        {
            policy.Dispose();
            reference?.Dispose();
            rewards?.Dispose();
            throw;
        }
    }

    private static RewardSet CreateRewards(GrpoOptions o, IReadOnlyList<IRewardFunction>? custom) =>
        RewardSet.Create(o.Rewards.Select(RewardSpec.Parse).ToList(), o.RewardCommands, o.Objective.MaxCompletionLength,
                         o.EffectiveOverlongBuffer, TimeSpan.FromSeconds(o.RewardTimeoutSeconds), custom);

    private static TrainableModel LoadFrozen(string path, ComputePool pool)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"the frozen reference model is missing: {path}");
        using var f = GgufFile.Open(path);
        return ModelGguf.Load(f, pool, withGradients: false);
    }

    /// <summary>Every prompt must leave room for a full completion in the model's context.</summary>
    private void CheckPromptLengths()
    {
        int max = Options.Objective.MaxCompletionLength;
        foreach (var p in _prompts)
        {
            int n = Prepare(_engine, p).Length;
            if (n + max > _engine.ContextLength)
                throw new InvalidDataException($"{Path.GetFileName(Options.DataPath)}:{p.Line}: the prompt has {n} tokens; with --max-completion-length {max} it exceeds the context of {_engine.ContextLength}");
        }
    }

    private static int[] Prepare(IGenerationEngine engine, GrpoPrompt p)
    {
        try { return engine.PrepareChat(p.Messages).Tokens; }
        catch (ContextLengthExceededException) { throw new InvalidDataException($"line {p.Line}: the prompt is longer than the model's context"); }
    }

    private GrpoPrompt NextPrompt() => _prompts[_order.Next()];

    /// <summary>Samples, scores and prepares the batch of the next step (dynamic sampling: up to MaxSamplingRounds rounds).</summary>
    private GrpoRolloutBatch Sample(CancellationToken cancel)
    {
        var o = Options;
        int g = o.NumGenerations;
        var clock = Stopwatch.StartNew();
        var kept = new List<(GrpoPrompt Prompt, List<Rollout> Rollouts, double[] Rewards)>();
        var all = new List<(RewardSample Sample, double Total)>();
        var perFunction = _rewards.Functions.Select(_ => new List<double>()).ToList();
        int rounds = 0, dropped = 0;
        long generated = 0;
        ulong stepSeed = Mix(o.Seed, (ulong)Step);
        while (kept.Count < o.PromptsPerStep && rounds < o.MaxSamplingRounds)
        {
            var prompts = Enumerable.Range(0, o.PromptsPerStep - kept.Count).Select(_ => NextPrompt()).ToList();
            var tokens = prompts.Select(p => Prepare(_engine, p)).ToList();
            var rollouts = GrpoRollouts.Generate(_engine, tokens, g, o.Objective.Temperature, o.Objective.MaxCompletionLength, Mix(stepSeed, (ulong)rounds), cancel);
            var samples = rollouts.Select(r => new RewardSample(prompts[r.PromptIndex], r.Text, r.Tokens.Length, r.Truncated)).ToList();
            var (per, total) = _rewards.Score(samples);
            for (int i = 0; i < samples.Count; i++)
            {
                all.Add((samples[i], total[i]));
                for (int f = 0; f < per.Length; f++) perFunction[f].Add(per[f][i]);
                generated += rollouts[i].Tokens.Length;
            }
            if (rounds == 0 && o.SampleEvery > 0 && (Step + 1) % o.SampleEvery == 0) WriteSamples(samples, total, per);
            for (int p = 0; p < prompts.Count; p++)
            {
                var rewards = total.AsSpan(p * g, g).ToArray();
                if (o.DropUniformGroups && Array.TrueForAll(rewards, r => r == rewards[0])) dropped++;
                else kept.Add((prompts[p], rollouts.GetRange(p * g, g), rewards));
            }
            rounds++;
            if (!o.DropUniformGroups) break;
        }
        double rolloutSeconds = clock.Elapsed.TotalSeconds;

        var rows = new List<GrpoRow>();
        for (int k = 0; k < kept.Count; k++)
            for (int i = 0; i < g; i++)
            {
                var r = kept[k].Rollouts[i];
                rows.Add(new GrpoRow(r.PromptTokens, r.Tokens, kept[k].Rewards[i], k, NoLoss: o.MaskTruncated && r.Truncated, Line: kept[k].Prompt.Line));
            }
        double[] advantages = rows.Count == 0 ? []
            : GrpoAdvantages.Compute(rows.Select(r => r.Reward).ToList(), rows.Select(r => r.Group).ToList(), o.Objective.ScaleRewards);
        double[]? old = null, reference = null;
        if (rows.Count > 0)
        {
            var batch = new GrpoBatch(rows);
            if (o.NumIterations > 1) old = _objective.LogProbs(_policy, batch);
            if (_reference != null) reference = _objective.LogProbs(_reference, batch);
        }

        var stats = new List<KeyValuePair<string, double>>();
        void Add(string key, double value) => stats.Add(new(key, value));
        var totals = all.Select(a => a.Total).ToList();
        Add("reward", Mean(totals));
        Add("reward_std", Std(totals));
        for (int f = 0; f < _rewards.Functions.Count; f++)
        {
            Add($"rewards/{_rewards.Functions[f].Name}/mean", Mean(perFunction[f]));
            Add($"rewards/{_rewards.Functions[f].Name}/std", Std(perFunction[f]));
        }
        var withAnswers = all.Where(a => a.Sample.Prompt.Problem != null).ToList();
        if (withAnswers.Count > 0) Add("accuracy", withAnswers.Count(a => AccuracyReward.IsCorrect(a.Sample)) / (double)withAnswers.Count);
        var lengths = all.Select(a => (double)a.Sample.CompletionTokens).ToList();
        Add("completions/mean_length", Mean(lengths));
        Add("completions/min_length", lengths.Min());
        Add("completions/max_length", lengths.Max());
        Add("completions/truncated_ratio", all.Count(a => a.Sample.Truncated) / (double)all.Count);
        Add("groups", kept.Count);
        Add("dropped_groups", dropped);
        Add("sampling_rounds", rounds);
        Add("rollout_tokens", generated);
        Add("rollout_tokens_per_s", generated / Math.Max(rolloutSeconds, 1e-9));
        return new GrpoRolloutBatch { Rows = rows, Advantages = advantages, OldLogProbs = old, RefLogProbs = reference, Stats = stats };
    }

    /// <summary>One optimizer step (sampling a new batch first when the last one has served --num-iterations steps).</summary>
    public GrpoStepResult TrainStep(CancellationToken cancel = default)
    {
        var o = Options;
        var clock = Stopwatch.StartNew();
        bool sampled = false;
        if (_batch is null)
        {
            _batch = Sample(cancel);
            sampled = true;
        }
        var trainClock = Stopwatch.StartNew();
        var batch = _batch;
        var stats = new List<KeyValuePair<string, double>>();
        double lr = o.LearningRates.At(Step + 1);
        long trainTokens = 0;
        if (batch.Rows.Count > 0)
        {
            var grpoBatch = new GrpoBatch(batch.Rows);
            _policy.Gradients.Clear();
            var r = _objective.ForwardBackward(_policy, grpoBatch, batch.Advantages, batch.OldLogProbs, batch.RefLogProbs,
                                               GrpoAccumulation.Single(grpoBatch), backward: true);
            double norm = AdamW.ClipGradNorm(_policy.Gradients, o.MaxGradNorm);
            _optimizer.Update(_policy.Parameters, _policy.Gradients, lr);
            _engine.WeightsChanged();
            foreach (var row in batch.Rows) trainTokens += row.Prompt.Length + row.Completion.Length;
            stats.Add(new("loss", r.Loss));
            stats.Add(new("grad_norm", norm));
            if (r.Kl is double kl) stats.Add(new("kl", kl));
            stats.Add(new("entropy", r.Entropy));
            stats.Add(new("clip_ratio/low_mean", r.ClipLow));
            stats.Add(new("clip_ratio/high_mean", r.ClipHigh));
            stats.Add(new("clip_ratio/region_mean", r.ClipRegion));
        }
        // A step whose groups were all dropped has nothing to learn from: no update (the step still counts).
        stats.Insert(0, new("lr", lr));
        double trainSeconds = trainClock.Elapsed.TotalSeconds;
        stats.AddRange(batch.Stats);
        stats.Add(new("train_tokens", trainTokens));
        stats.Add(new("train_tokens_per_s", trainTokens / Math.Max(trainSeconds, 1e-9)));
        stats.Add(new("seconds", clock.Elapsed.TotalSeconds));
        Step++;
        if (++batch.Uses >= o.NumIterations) _batch = null;
        return new GrpoStepResult(Step, sampled, stats);
    }

    /// <summary>Writes DIR/checkpoint.gguf atomically (temporary file, fsync, rename over the previous one).</summary>
    public void SaveCheckpoint()
    {
        Directory.CreateDirectory(OutputDirectory);
        var w = TrainingCheckpoint.ModelWriter(_metadata, _policy);
        w.Set(Prefix + "kind", Kind);
        w.Set(Prefix + "options", JsonSerializer.Serialize(Options));
        w.Set(Prefix + "step", (long)Step);
        _order.Save(w);
        w.Set(Prefix + "data_sha256", _dataHash);
        if (_batch is not null) w.Set(Prefix + "batch", JsonSerializer.Serialize(_batch));
        TrainingCheckpoint.AddOptimizer(w, _optimizer);
        w.Write(Path.Combine(OutputDirectory, TrainingCheckpoint.FileName));
    }

    /// <summary>
    /// Trains until <see cref="GrpoOptions.Steps"/>: one JSON line per step in DIR/log.jsonl, a checkpoint and the
    /// charts (DIR/*.svg) every SaveEvery steps and at the end. Cancelling stops after the step in flight.
    /// </summary>
    public void Run(Action<GrpoStepResult>? onStep = null, CancellationToken cancel = default)
    {
        string logPath = Path.Combine(OutputDirectory, LogFile);
        Directory.CreateDirectory(OutputDirectory);
        TrimSamples();
        using var log = StepLog.Open(logPath, Step);
        while (Step < Options.Steps && !cancel.IsCancellationRequested)
        {
            GrpoStepResult r;
            try { r = TrainStep(cancel); }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested) { break; }
            log.WriteLine(LogLine(r));
            log.Flush();
            onStep?.Invoke(r);
            if (Step % Options.SaveEvery == 0 || Step == Options.Steps)
            {
                SaveCheckpoint();
                GrpoCharts.Write(logPath, OutputDirectory);
            }
        }
    }

    public static string LogLine(GrpoStepResult r)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("step", r.Step);
            foreach (var (k, v) in r.Stats)
            {
                if (double.IsFinite(v)) w.WriteNumber(k, v);
                else w.WriteNull(k);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private void WriteSamples(List<RewardSample> samples, double[] total, double[][] per)
    {
        var sb = new StringBuilder();
        int g = Options.NumGenerations;
        for (int p = 0; p < Math.Min(3, samples.Count / g); p++)
        {
            int i = p * g;
            var s = samples[i];
            sb.Append($"=== step {Step + 1} · line {s.Prompt.Line} · reward {total[i]:0.###}");
            for (int f = 0; f < per.Length; f++) sb.Append($" · {_rewards.Functions[f].Name} {per[f][i]:0.###}");
            sb.Append($" · {s.CompletionTokens} tokens{(s.Truncated ? " (truncated)" : "")} ===\n");
            sb.Append("[user] ").Append(s.Prompt.Question).Append('\n');
            if (s.Prompt.Problem is { } item) sb.Append("[answer] ").Append(item.Gold).Append('\n');
            sb.Append("[completion]\n").Append(s.Completion).Append("\n\n");
        }
        File.AppendAllText(Path.Combine(OutputDirectory, SamplesFile), sb.ToString());
    }

    /// <summary>Drops samples of steps after the checkpoint (a kill lost them; they are sampled again).</summary>
    private void TrimSamples()
    {
        string path = Path.Combine(OutputDirectory, SamplesFile);
        if (!File.Exists(path)) return;
        string text = File.ReadAllText(path);
        int cut = 0;
        while (true)
        {
            int next = text.IndexOf("=== step ", cut, StringComparison.Ordinal);
            if (next < 0) return;
            int end = text.IndexOf(' ', next + 9);
            if (end < 0 || !int.TryParse(text.AsSpan(next + 9, end - next - 9), out int step) || step > Step)
            {
                File.WriteAllText(path, text[..next]);
                return;
            }
            cut = next + 9;
        }
    }

    private static ulong Mix(ulong a, ulong b)
    {
        ulong x = a ^ (b * 0x9E3779B97F4A7C15UL);
        return Xoshiro256StarStar.SplitMix64(ref x);
    }

    private static double Mean(IReadOnlyList<double> x) => x.Count == 0 ? double.NaN : x.Sum() / x.Count;

    private static double Std(IReadOnlyList<double> x)
    {
        if (x.Count < 2) return 0;
        double m = Mean(x);
        return Math.Sqrt(x.Sum(v => (v - m) * (v - m)) / (x.Count - 1));
    }

    public void Dispose()
    {
        _engine.Dispose(); // before the policy: its model computes on the policy's parameters
        _optimizer.Dispose();
        _policy.Dispose();
        _reference?.Dispose();
        _rewards.Dispose();
    }
}
