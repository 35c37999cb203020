using System.CommandLine;
using System.Globalization;
using R1Sharp.Gguf;
using R1Sharp.Training;
using R1Sharp.Training.Data;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Training.Grpo;

namespace R1Sharp.Cli.Commands;

/// <summary>
/// `r1 grad --model M.gguf --data D.jsonl --out G.gguf`: loss and gradients over all rows as one batch, for the
/// next-token objective (sft, default) or GRPO's (`--objective grpo`, docs/training.md).
/// </summary>
internal sealed class GradCommand : ICliCommand
{
    public int Order => 72;

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "GGUF model (qwen2 or llama layout, F32/F16/BF16); with grpo, the policy", Required = true };
        var data = new Option<string>("--data")
        {
            Description = "JSONL rows: sft {\"tokens\":[...]}, ...; grpo {\"prompt\":[ids],\"completion\":[ids],\"reward\":r,\"group\":g}", Required = true,
        };
        var output = new Option<string>("--out") { Description = "output GGUF: one float32 gradient per model tensor", Required = true };
        var objective = new Option<string>("--objective") { Description = "sft (mean next-token cross-entropy) or grpo", DefaultValueFactory = _ => "sft" };
        var old = new Option<string?>("--old") { Description = "grpo: the policy that sampled the completions (default: the policy itself, ratio 1)" };
        var reference = new Option<string?>("--ref") { Description = "grpo: the frozen reference model of the KL term (required when --beta is not 0)" };
        var lossType = new Option<string>("--loss-type") { Description = "grpo: grpo, bnpo, dr_grpo or dapo", DefaultValueFactory = _ => "dapo" };
        var beta = new Option<double>("--beta") { Description = "grpo: KL coefficient (0 = no reference model)", DefaultValueFactory = _ => 0.0 };
        var epsilon = new Option<double>("--epsilon") { Description = "grpo: lower clip, ratio >= 1 - epsilon", DefaultValueFactory = _ => 0.2 };
        var epsilonHigh = new Option<double?>("--epsilon-high") { Description = "grpo: upper clip, ratio <= 1 + epsilon-high (default: --epsilon)" };
        var scaleRewards = new Option<string>("--scale-rewards") { Description = "grpo: advantage scaling, group, batch or none", DefaultValueFactory = _ => "group" };
        var temperature = new Option<double>("--temperature") { Description = "grpo: sampling temperature (log-probs of logits / T)", DefaultValueFactory = _ => 1.0 };
        var maxCompletion = new Option<int>("--max-completion-length") { Description = "grpo: longest completion (dr_grpo's denominator)", DefaultValueFactory = _ => 256 };
        var threads = CliOptions.Threads();
        Option[] grpoOnly = [old, reference, lossType, beta, epsilon, epsilonHigh, scaleRewards, temperature, maxCompletion];
        var cmd = new Command("grad", "Compute a loss (mean next-token cross-entropy, or GRPO's) and every parameter's gradient over a data file")
        {
            model, data, output, objective, old, reference, lossType, beta, epsilon, epsilonHigh, scaleRewards, temperature, maxCompletion, threads,
        };
        cmd.SetAction(parse => CommandGuard.Run("grad", () =>
        {
            string kind = parse.GetValue(objective)!;
            if (kind is not ("sft" or "grpo")) throw new ArgumentException($"unknown --objective '{kind}' (expected sft or grpo)");
            if (kind == "sft")
                foreach (var o in grpoOnly)
                    if (parse.GetResult(o) is { Implicit: false }) throw new ArgumentException($"{o.Name} is only for --objective grpo");
            GrpoObjective? grpo = null;
            if (kind == "grpo")
            {
                grpo = new GrpoObjective(new GrpoSettings
                {
                    LossType = GrpoSettings.ParseLossType(parse.GetValue(lossType)!), Beta = parse.GetValue(beta),
                    Epsilon = parse.GetValue(epsilon), EpsilonHigh = parse.GetValue(epsilonHigh),
                    ScaleRewards = GrpoSettings.ParseScaleRewards(parse.GetValue(scaleRewards)!), Temperature = parse.GetValue(temperature),
                    MaxCompletionLength = parse.GetValue(maxCompletion),
                });
                if (grpo.Settings.Beta != 0 && parse.GetValue(reference) == null) throw new ArgumentException("--ref is required when --beta is not 0");
            }
            using var file = GgufFile.Open(parse.GetValue(model)!);
            using var pool = new ComputePool(parse.GetValue(threads) ?? Environment.ProcessorCount) { SpinIterations = 0 };
            using var m = ModelGguf.Load(file, pool);
            double loss;
            if (grpo == null)
            {
                var rows = JsonlDataset.Load(parse.GetValue(data)!, m.Config.VocabSize, m.Config.ContextLength, TextEncoders.FromGguf(file));
                loss = m.LossAndGradients(rows);
            }
            else
            {
                var rows = GrpoRows.Load(parse.GetValue(data)!, m.Config.VocabSize, m.Config.ContextLength, grpo.Settings.MaxCompletionLength);
                Func<TrainableModel>? Loader(string? path) => path == null ? null : () =>
                {
                    using var f = GgufFile.Open(path);
                    return ModelGguf.Load(f, pool, withGradients: false);
                };
                var r = grpo.LossAndGradients(m, rows, Loader(parse.GetValue(old)), Loader(parse.GetValue(reference)));
                loss = r.Loss;
                var s = grpo.Settings;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"r1 grad: grpo ({GrpoSettings.Name(s.LossType)}, scale {GrpoSettings.Name(s.ScaleRewards)}), {rows.Count} completions, {r.Tokens} tokens: " +
                    $"kl {(r.Kl is double kl ? kl.ToString("G6", CultureInfo.InvariantCulture) : "-")}, entropy {r.Entropy:G6}, " +
                    $"clip low {r.ClipLow:G4} high {r.ClipHigh:G4} region {r.ClipRegion:G4}"));
            }
            var w = new GgufWriter();
            w.Set("general.architecture", m.Config.Architecture);
            w.Set("general.name", "gradients of " + Path.GetFileNameWithoutExtension(file.Path));
            w.Set("r1.grad.objective", kind);
            w.Set("r1.grad.loss", loss);
            ModelGguf.AddTensors(w, m.Gradients);
            w.Write(parse.GetValue(output)!);
            Console.WriteLine($"{{\"loss\": {loss.ToString("R", CultureInfo.InvariantCulture)}}}");
            return 0;
        }));
        return cmd;
    }
}
