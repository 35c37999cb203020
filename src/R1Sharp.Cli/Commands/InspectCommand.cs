using System.CommandLine;
using R1Sharp.Numerics.Gguf;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 inspect FILE`: metadata and tensors of a GGUF file.</summary>
public sealed class InspectCommand : ICliCommand
{
    public int Order => 50;

    public Command Build()
    {
        var file = new Argument<string>("file") { Description = "GGUF model file" };
        var cmd = new Command("inspect", "Show a GGUF file's metadata, tensors, types and memory needs") { file };
        cmd.SetAction(parse =>
        {
            using var f = GgufFile.Open(parse.GetValue(file)!);
            Console.WriteLine($"{f.Path}: GGUF v{f.Version}, {f.Metadata.Count} metadata keys, {f.Tensors.Count} tensors, {f.FileSize / 1048576.0:F1} MiB");
            foreach (string k in f.MetadataKeys)
            {
                object v = f.Metadata[k];
                string s = v is GgufArray a ? a.ToString() : v.ToString() ?? "";
                if (s.Length > 100) s = s[..100] + "...";
                Console.WriteLine($"  {k} = {s.Replace("\n", "\\n")}");
            }
            foreach (var t in f.Tensors) Console.WriteLine($"  {t}");
            return 0;
        });
        return cmd;
    }
}
