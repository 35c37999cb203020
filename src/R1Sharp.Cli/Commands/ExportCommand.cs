using System.CommandLine;
using R1Sharp.Numerics.Tensors;
using R1Sharp.Gguf;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 export DIR --out model.gguf [--type f32|f16|q8_0]`: a training run's model as a GGUF for r1 and llama.cpp.</summary>
internal sealed class ExportCommand : ICliCommand
{
    public int Order => 74;

    public Command Build()
    {
        var dir = new Argument<string>("run") { Description = "training run directory (or its checkpoint.gguf)" };
        var output = new Option<string>("--out") { Description = "output GGUF model", Required = true };
        var type = new Option<string>("--type") { Description = "f32, f16 or q8_0", DefaultValueFactory = _ => "f32" };
        var cmd = new Command("export", "Export a training run's model to GGUF") { dir, output, type };
        cmd.SetAction(parse =>
        {
            var t = parse.GetValue(type)!.ToLowerInvariant() switch
            {
                "f32" => GgmlType.F32,
                "f16" => GgmlType.F16,
                "q8_0" => GgmlType.Q8_0,
                var s => throw new ArgumentException($"--type must be f32, f16 or q8_0, not '{s}'"),
            };
            R1Sharp.Training.Export.Run(parse.GetValue(dir)!, parse.GetValue(output)!, t);
            Console.Error.WriteLine($"wrote {parse.GetValue(output)}");
            return 0;
        });
        return cmd;
    }
}
