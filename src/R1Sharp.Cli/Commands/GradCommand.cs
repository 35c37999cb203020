using System.CommandLine;
using System.Globalization;
using R1Sharp.Gguf;
using R1Sharp.Training;
using R1Sharp.Training.Data;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 grad --model M.gguf --data D.jsonl --out G.gguf`: loss and gradients over all rows as one batch.</summary>
public sealed class GradCommand : ICliCommand
{
    public int Order => 72;

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "GGUF model (qwen2 or llama layout, F32/F16/BF16)", Required = true };
        var data = new Option<string>("--data") { Description = "JSONL rows ({\"tokens\":[...]}, ...)", Required = true };
        var output = new Option<string>("--out") { Description = "output GGUF: one float32 gradient per model tensor", Required = true };
        var threads = new Option<int>("--threads") { Description = "worker threads (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("grad", "Compute the mean next-token loss and every parameter's gradient over a data file") { model, data, output, threads };
        cmd.SetAction(parse =>
        {
            using var file = GgufFile.Open(parse.GetValue(model)!);
            using var pool = new ComputePool(parse.GetValue(threads)) { SpinIterations = 0 };
            using var m = ModelGguf.Load(file, pool);
            var rows = JsonlDataset.Load(parse.GetValue(data)!, m.Shape.VocabSize, m.Shape.ContextLength, TextEncoders.FromGguf(file));
            double loss = m.LossAndGradients(rows);
            var w = new GgufWriter();
            w.Set("general.architecture", m.Shape.Architecture);
            w.Set("general.name", "gradients of " + Path.GetFileNameWithoutExtension(file.Path));
            w.Set("r1.grad.loss", loss);
            ModelGguf.AddTensors(w, m.Gradients);
            w.Write(parse.GetValue(output)!);
            Console.WriteLine($"{{\"loss\": {loss.ToString("R", CultureInfo.InvariantCulture)}}}");
            return 0;
        });
        return cmd;
    }
}
