using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using R1Sharp.Training;
using R1Sharp.Training.Grpo;
using R1Sharp.Training.Sft;
using Spectre.Console;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 train sft ...`: supervised fine-tuning with checkpoints that survive a kill (docs/training.md);
/// `r1 train grpo ...`: reinforcement learning with verifiable rewards (docs/grpo.md).</summary>
internal sealed class TrainCommand : ICliCommand
{
    public int Order => 70;

    public Command Build()
    {
        var init = new Option<string?>("--init") { Description = "GGUF model to start from (qwen2 or llama layout)" };
        var config = new Option<string?>("--config") { Description = "JSON shape + tokenizer for a fresh seeded model (docs/training.md)" };
        var data = new Option<string?>("--data") { Description = "JSONL rows: {\"tokens\"}, {\"text\"}, {\"prompt\",\"completion\"} or {\"messages\"}" };
        var resume = new Option<string?>("--resume") { Description = "continue the run saved in this directory" };
        var outDir = new Option<string?>("--out") { Description = "run directory (checkpoint.gguf)" };
        var batch = new Option<int>("--batch-size") { Description = "rows per forward pass", DefaultValueFactory = _ => 8 };
        var accum = new Option<int>("--grad-accum") { Description = "forward passes per optimizer step", DefaultValueFactory = _ => 1 };
        var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => 100 };
        var (lr, betas, eps, wd, schedule, warmup, minLr, clip) = OptimizerFlags(defaultLr: 1e-3);
        var saveEvery = new Option<int>("--save-every") { Description = "checkpoint every K steps (and at the end)", DefaultValueFactory = _ => 100 };
        var seed = new Option<ulong>("--seed") { Description = "seed of the data order and of --config initialization", DefaultValueFactory = _ => 1UL };
        var log = new Option<string?>("--log") { Description = "JSONL log, one object per optimizer step" };
        var threads = CliOptions.Threads();
        var sft = new Command("sft", "Supervised fine-tuning (or training from scratch with --config)")
        {
            init, config, data, resume, outDir, batch, accum, steps, lr, betas, eps, wd, schedule, warmup, minLr, clip, saveEvery, seed, log, threads,
        };
        sft.SetAction(parse =>
        {
            using var pool = new ComputePool(parse.GetValue(threads) ?? Environment.ProcessorCount) { SpinIterations = 0 };
            SftTrainer trainer;
            if (parse.GetValue(resume) is string dir)
            {
                foreach (var o in new Option[] { init, config, data, outDir })
                    if (parse.GetResult(o) is { Implicit: false })
                        throw new ArgumentException($"--resume continues with the run's saved settings; {o.Name} cannot be given with it");
                trainer = SftTrainer.Resume(dir, pool);
            }
            else
            {
                var (b1, b2) = ParseBetas(parse.GetValue(betas)!);
                var options = new SftOptions
                {
                    InitModel = parse.GetValue(init), ConfigPath = parse.GetValue(config),
                    DataPath = parse.GetValue(data) ?? throw new ArgumentException("--data is required"),
                    BatchSize = parse.GetValue(batch), GradAccum = parse.GetValue(accum), Steps = parse.GetValue(steps),
                    LearningRate = parse.GetValue(lr), Beta1 = b1, Beta2 = b2, Eps = parse.GetValue(eps), WeightDecay = parse.GetValue(wd),
                    Schedule = parse.GetValue(schedule)!, WarmupSteps = parse.GetValue(warmup), MinLrRatio = parse.GetValue(minLr),
                    MaxGradNorm = parse.GetValue(clip), SaveEvery = parse.GetValue(saveEvery), Seed = parse.GetValue(seed),
                };
                trainer = SftTrainer.Create(options, parse.GetValue(outDir) ?? throw new ArgumentException("--out is required"), pool);
            }
            using (trainer)
            {
                var model = trainer.Model;
                Console.Error.WriteLine($"r1 train sft: {model.Config.Architecture}, {model.ParameterCount / 1e6:F2}M parameters, {trainer.RowCount} rows, " +
                                        $"step {trainer.Step}/{trainer.Options.Steps}, {pool.Threads} threads -> {trainer.OutputDirectory}");
                using var cts = new CancellationTokenSource();
                ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
                Console.CancelKeyPress += onCancel;
                try
                {
                    double tokens = 0, seconds = 0;
                    int total = trainer.Options.Steps;
                    RunWithProgress(total, trainer.Step, report => trainer.Run(parse.GetValue(log), r =>
                    {
                        tokens += r.Tokens; seconds += r.Seconds;
                        report(r.Step, string.Create(CultureInfo.InvariantCulture, $"step {r.Step}/{total} loss {r.Loss:F4} {tokens / Math.Max(seconds, 1e-9):F0} tok/s"));
                    }, cts.Token));
                }
                finally { Console.CancelKeyPress -= onCancel; }
                if (cts.IsCancellationRequested)
                {
                    trainer.SaveCheckpoint();
                    Console.Error.WriteLine($"interrupted: saved step {trainer.Step}; continue with r1 train sft --resume {trainer.OutputDirectory}");
                    return 130;
                }
            }
            return 0;
        });
        var cmd = new Command("train", "Train models (sft, grpo)") { sft, BuildGrpo() };
        return cmd;
    }

    private static Command BuildGrpo()
    {
        var policy = new Option<string?>("--policy") { Description = "starting policy: a GGUF model or an SFT run directory" };
        var data = new Option<string?>("--data") { Description = "JSONL prompts: {\"prompt\" or \"messages\", \"answer\", \"task\"}" };
        var resume = new Option<string?>("--resume") { Description = "continue the run saved in this directory" };
        var outDir = new Option<string?>("--out") { Description = "run directory (checkpoint, log.jsonl, charts, samples.txt)" };
        var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => 100 };
        var prompts = new Option<int>("--prompts-per-step") { Description = "prompts (groups) per optimizer step", DefaultValueFactory = _ => 4 };
        var generations = new Option<int>("--num-generations") { Description = "G: completions sampled per prompt", DefaultValueFactory = _ => 8 };
        var iterations = new Option<int>("--num-iterations") { Description = "mu: optimizer steps per sampled batch", DefaultValueFactory = _ => 1 };
        var lossType = new Option<string>("--loss-type") { Description = "grpo, bnpo, dr_grpo or dapo", DefaultValueFactory = _ => "dapo" };
        var beta = new Option<double>("--beta") { Description = "KL coefficient to the frozen starting policy (0 = no reference)", DefaultValueFactory = _ => 0.0 };
        var epsilon = new Option<double>("--epsilon") { Description = "lower clip, ratio >= 1 - epsilon", DefaultValueFactory = _ => 0.2 };
        var epsilonHigh = new Option<double?>("--epsilon-high") { Description = "upper clip, ratio <= 1 + epsilon-high (default: --epsilon)" };
        var scaleRewards = new Option<string>("--scale-rewards") { Description = "advantage scaling: group, batch or none", DefaultValueFactory = _ => "group" };
        var temperature = new Option<double>("--temperature") { Description = "sampling temperature (log-probs of logits / T)", DefaultValueFactory = _ => 1.0 };
        var maxCompletion = new Option<int>("--max-completion-length") { Description = "longest completion in tokens", DefaultValueFactory = _ => 256 };
        var maskTruncated = new Option<bool>("--mask-truncated") { Description = "completions cut by the length limit get no loss" };
        var dropUniform = new Option<bool>("--drop-uniform-groups") { Description = "DAPO dynamic sampling: drop groups whose rewards are all equal, sample more" };
        var maxRounds = new Option<int>("--max-sampling-rounds") { Description = "with --drop-uniform-groups: sampling rounds per step at most", DefaultValueFactory = _ => 4 };
        var reward = new Option<string[]>("--reward") { Description = "reward term NAME[:WEIGHT] (accuracy, format, overlong or a --reward-command name); repeatable; default accuracy:1 format:0.2", AllowMultipleArgumentsPerToken = false };
        var rewardCommand = new Option<string[]>("--reward-command") { Description = "NAME=COMMAND: a reward computed by a program (JSON lines in, one score per line out); repeatable" };
        var overlong = new Option<int?>("--overlong-buffer") { Description = "DAPO overlong penalty buffer in tokens (default: max-completion-length / 4)" };
        var rewardTimeout = new Option<double>("--reward-timeout") { Description = "seconds a reward command may take per batch", DefaultValueFactory = _ => 300 };
        var (lr, betas, eps, wd, schedule, warmup, minLr, clip) = OptimizerFlags(defaultLr: 1e-5);
        var saveEvery = new Option<int>("--save-every") { Description = "checkpoint and charts every K steps (and at the end)", DefaultValueFactory = _ => 10 };
        var sampleEvery = new Option<int>("--sample-every") { Description = "write a few completions to samples.txt every K steps (0 = never)", DefaultValueFactory = _ => 10 };
        var slots = new Option<int>("--rollout-slots") { Description = "engine slots for rollouts (0 = one per completion, up to 256)", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "seed of the prompt order and of sampling", DefaultValueFactory = _ => 1UL };
        var threads = new Option<int>("--threads") { Description = "worker threads (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var grpo = new Command("grpo", "Reinforcement learning with verifiable rewards (GRPO, docs/grpo.md)")
        {
            policy, data, resume, outDir, steps, prompts, generations, iterations, lossType, beta, epsilon, epsilonHigh, scaleRewards, temperature,
            maxCompletion, maskTruncated, dropUniform, maxRounds, reward, rewardCommand, overlong, rewardTimeout, lr, betas, eps, wd, schedule,
            warmup, minLr, clip, saveEvery, sampleEvery, slots, seed, threads,
        };
        grpo.SetAction(parse => CommandGuard.Run("train grpo", () =>
        {
            using var pool = new ComputePool(parse.GetValue(threads)) { SpinIterations = 0 };
            GrpoTrainer trainer;
            if (parse.GetValue(resume) is string dir)
            {
                foreach (var o in grpo.Options)
                    if (o != resume && o != threads && parse.GetResult(o) is { Implicit: false })
                        throw new ArgumentException($"--resume continues with the run's saved settings; {o.Name} cannot be given with it");
                trainer = GrpoTrainer.Resume(dir, pool);
            }
            else
            {
                var (b1, b2) = ParseBetas(parse.GetValue(betas)!);
                var commands = new Dictionary<string, string>();
                foreach (string c in parse.GetValue(rewardCommand) ?? [])
                {
                    int eq = c.IndexOf('=');
                    if (eq <= 0 || eq == c.Length - 1) throw new ArgumentException($"--reward-command '{c}': expected NAME=COMMAND");
                    if (!commands.TryAdd(c[..eq].Trim(), c[(eq + 1)..])) throw new ArgumentException($"--reward-command {c[..eq]} is given twice");
                }
                string[] rewards = parse.GetValue(reward) is { Length: > 0 } r ? r : commands.Count > 0 ? [] : ["accuracy:1", "format:0.2"];
                var options = new GrpoOptions
                {
                    Policy = parse.GetValue(policy) ?? throw new ArgumentException("--policy is required (a GGUF model or an SFT run directory)"),
                    DataPath = parse.GetValue(data) ?? throw new ArgumentException("--data is required"),
                    Objective = new GrpoSettings
                    {
                        LossType = GrpoSettings.ParseLossType(parse.GetValue(lossType)!), Beta = parse.GetValue(beta),
                        Epsilon = parse.GetValue(epsilon), EpsilonHigh = parse.GetValue(epsilonHigh),
                        ScaleRewards = GrpoSettings.ParseScaleRewards(parse.GetValue(scaleRewards)!), Temperature = parse.GetValue(temperature),
                        MaxCompletionLength = parse.GetValue(maxCompletion),
                    },
                    Steps = parse.GetValue(steps), PromptsPerStep = parse.GetValue(prompts), NumGenerations = parse.GetValue(generations),
                    NumIterations = parse.GetValue(iterations), MaskTruncated = parse.GetValue(maskTruncated), DropUniformGroups = parse.GetValue(dropUniform),
                    MaxSamplingRounds = parse.GetValue(maxRounds), Rewards = rewards, RewardCommands = commands, OverlongBuffer = parse.GetValue(overlong),
                    RewardTimeoutSeconds = parse.GetValue(rewardTimeout), LearningRate = parse.GetValue(lr), Beta1 = b1, Beta2 = b2, Eps = parse.GetValue(eps),
                    WeightDecay = parse.GetValue(wd), Schedule = parse.GetValue(schedule)!, WarmupSteps = parse.GetValue(warmup), MinLrRatio = parse.GetValue(minLr),
                    MaxGradNorm = parse.GetValue(clip), SaveEvery = parse.GetValue(saveEvery), SampleEvery = parse.GetValue(sampleEvery),
                    RolloutSlots = parse.GetValue(slots), Seed = parse.GetValue(seed),
                };
                trainer = GrpoTrainer.Create(options, parse.GetValue(outDir) ?? throw new ArgumentException("--out is required"), pool);
            }
            using (trainer)
            {
                var o = trainer.Options;
                var model = trainer.Model;
                Console.Error.WriteLine($"r1 train grpo: {model.Config.Architecture}, {model.ParameterCount / 1e6:F2}M parameters, {trainer.PromptCount} prompts, " +
                                        $"{o.PromptsPerStep} x {o.NumGenerations} completions per step, rewards {string.Join(" ", trainer.Rewards.Functions.Select((f, i) => $"{f.Name}:{trainer.Rewards.Weights[i].ToString(CultureInfo.InvariantCulture)}"))}, " +
                                        $"step {trainer.Step}/{o.Steps}, {pool.Threads} threads -> {trainer.OutputDirectory}");
                using var cts = new CancellationTokenSource();
                ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
                Console.CancelKeyPress += onCancel;
                try
                {
                    RunWithProgress(o.Steps, trainer.Step, report => trainer.Run(r => report(r.Step, string.Create(CultureInfo.InvariantCulture,
                        $"step {r.Step}/{o.Steps} reward {r["reward"]:F3}{(r.Get("accuracy") is double a ? $" acc {a:F2}" : "")} len {r["completions/mean_length"]:F0} " +
                        $"{r["rollout_tokens_per_s"]:F0} gen tok/s {r["train_tokens_per_s"]:F0} train tok/s")), cts.Token));
                }
                finally { Console.CancelKeyPress -= onCancel; }
                if (cts.IsCancellationRequested)
                {
                    trainer.SaveCheckpoint();
                    Console.Error.WriteLine($"interrupted: saved step {trainer.Step}; continue with r1 train grpo --resume {trainer.OutputDirectory}");
                    return 130;
                }
            }
            return 0;
        }));
        return grpo;
    }

    /// <summary>The optimizer's flags, the same for every trainer.</summary>
    private static (Option<double> Lr, Option<string> Betas, Option<float> Eps, Option<float> WeightDecay, Option<string> Schedule,
                    Option<int> Warmup, Option<double> MinLr, Option<double> Clip) OptimizerFlags(double defaultLr) =>
    (
        new Option<double>("--lr") { Description = "peak learning rate", DefaultValueFactory = _ => defaultLr },
        new Option<string>("--adam-betas") { Description = "AdamW betas B1,B2", DefaultValueFactory = _ => "0.9,0.999" },
        new Option<float>("--adam-eps") { Description = "AdamW epsilon", DefaultValueFactory = _ => 1e-8f },
        new Option<float>("--weight-decay") { Description = "decoupled weight decay on 2-D tensors", DefaultValueFactory = _ => 0f },
        new Option<string>("--lr-schedule") { Description = "constant or cosine", DefaultValueFactory = _ => "constant" },
        new Option<int>("--warmup-steps") { Description = "linear warmup steps", DefaultValueFactory = _ => 0 },
        new Option<double>("--min-lr-ratio") { Description = "cosine floor as a fraction of --lr", DefaultValueFactory = _ => 0 },
        new Option<double>("--max-grad-norm") { Description = "global gradient-norm clip (0 = off)", DefaultValueFactory = _ => 1.0 }
    );

    private static (float, float) ParseBetas(string b)
    {
        var parts = b.Split(',');
        if (parts.Length != 2 || !float.TryParse(parts[0], CultureInfo.InvariantCulture, out float b1) || !float.TryParse(parts[1], CultureInfo.InvariantCulture, out float b2))
            throw new ArgumentException($"--adam-betas must be two numbers B1,B2, not '{b}'");
        return (b1, b2);
    }

    /// <summary>Runs a trainer with a progress bar (step, the trainer's description, elapsed, ETA) on a terminal, or a
    /// plain line on stderr every 2% of the steps when output is redirected. <paramref name="run"/> calls its argument
    /// after every step with the step and a description.</summary>
    private static void RunWithProgress(int total, int startStep, Action<Action<int, string>> run)
    {
        var clock = Stopwatch.StartNew();
        if (Console.IsErrorRedirected || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            int every = Math.Max(1, total / 50);
            run((step, description) =>
            {
                if (step % every != 0 && step != total) return;
                double eta = clock.Elapsed.TotalSeconds / Math.Max(1, step - startStep) * (total - step);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{description} eta {TimeSpan.FromSeconds(Math.Round(eta)):g}"));
            });
            return;
        }
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"step {startStep}/{total}", maxValue: total);
                task.Value = startStep;
                run((step, description) => { task.Description = Markup.Escape(description); task.Value = step; });
            });
    }
}
