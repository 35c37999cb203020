using System.CommandLine;
using System.Globalization;
using R1Sharp.Training;
using R1Sharp.Training.Sft;
using Spectre.Console;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 train sft ...`: supervised fine-tuning with checkpoints that survive a kill (docs/training.md).</summary>
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
        var lr = new Option<double>("--lr") { Description = "peak learning rate", DefaultValueFactory = _ => 1e-3 };
        var betas = new Option<string>("--adam-betas") { Description = "AdamW betas B1,B2", DefaultValueFactory = _ => "0.9,0.999" };
        var eps = new Option<float>("--adam-eps") { Description = "AdamW epsilon", DefaultValueFactory = _ => 1e-8f };
        var wd = new Option<float>("--weight-decay") { Description = "decoupled weight decay on 2-D tensors", DefaultValueFactory = _ => 0f };
        var schedule = new Option<string>("--lr-schedule") { Description = "constant or cosine", DefaultValueFactory = _ => "constant" };
        var warmup = new Option<int>("--warmup-steps") { Description = "linear warmup steps", DefaultValueFactory = _ => 0 };
        var minLr = new Option<double>("--min-lr-ratio") { Description = "cosine floor as a fraction of --lr", DefaultValueFactory = _ => 0 };
        var clip = new Option<double>("--max-grad-norm") { Description = "global gradient-norm clip (0 = off)", DefaultValueFactory = _ => 1.0 };
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
                string b = parse.GetValue(betas)!;
                var parts = b.Split(',');
                if (parts.Length != 2 || !float.TryParse(parts[0], CultureInfo.InvariantCulture, out float b1) || !float.TryParse(parts[1], CultureInfo.InvariantCulture, out float b2))
                    throw new ArgumentException($"--adam-betas must be two numbers B1,B2, not '{b}'");
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
                try { RunWithProgress(trainer, parse.GetValue(log), cts.Token); }
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
        var cmd = new Command("train", "Train models (sft)") { sft };
        return cmd;
    }

    private static void RunWithProgress(SftTrainer trainer, string? log, CancellationToken cancel)
    {
        int total = trainer.Options.Steps;
        double tokens = 0, seconds = 0;
        int done = 0;
        string Describe(StepResult r)
        {
            tokens += r.Tokens; seconds += r.Seconds; done++;
            return string.Create(CultureInfo.InvariantCulture, $"step {r.Step}/{total} loss {r.Loss:F4} {tokens / Math.Max(seconds, 1e-9):F0} tok/s");
        }
        if (Console.IsErrorRedirected || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            int every = Math.Max(1, total / 50);
            trainer.Run(log, r =>
            {
                string d = Describe(r);
                if (r.Step % every == 0 || r.Step == total)
                {
                    double eta = seconds / done * (total - r.Step);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{d} eta {TimeSpan.FromSeconds(Math.Round(eta)):g}"));
                }
            }, cancel);
            return;
        }
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"step {trainer.Step}/{total}", maxValue: total);
                task.Value = trainer.Step;
                trainer.Run(log, r => { task.Description = Markup.Escape(Describe(r)); task.Value = r.Step; }, cancel);
            });
    }
}
