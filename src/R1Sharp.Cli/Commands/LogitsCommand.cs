using System.CommandLine;
using System.Globalization;
using R1Sharp.Models;
using R1Sharp.Gguf;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 logits --model M.gguf --tokens-file T.txt --out L.f32`: the logits of every position of every
/// sequence (one per line of T, space-separated ids; each in a fresh cache), float32 little-endian, sequence by
/// sequence, position by position, n_vocab values each (the layout of llama.cpp's golden logits).</summary>
internal sealed class LogitsCommand : ICliCommand
{
    public int Order => 60;

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "GGUF model file", Required = true };
        var tokensFile = new Option<string>("--tokens-file") { Description = "one sequence per line: space-separated token ids", Required = true };
        var outFile = new Option<string>("--out") { Description = "output file: float32 logits, per sequence, per position, n_vocab each", Required = true };
        var cmd = new Command("logits", "Write the model's logits for every position of token sequences") { model, tokensFile, outFile };
        cmd.SetAction(parse => CommandGuard.Run("logits", () =>
        {
            string tokensPath = parse.GetValue(tokensFile)!;
            if (!File.Exists(tokensPath))
            {
                Console.Error.WriteLine($"r1 logits: tokens file '{tokensPath}' not found");
                return 1;
            }
            var sequences = new List<int[]>();
            int lineNo = 0;
            foreach (string line in File.ReadLines(tokensPath))
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                var ids = new int[parts.Length];
                for (int i = 0; i < parts.Length; i++)
                    if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out ids[i]))
                    {
                        Console.Error.WriteLine($"r1 logits: {tokensPath}:{lineNo}: '{parts[i]}' is not a token id");
                        return 1;
                    }
                sequences.Add(ids);
            }

            using var file = GgufFile.Open(parse.GetValue(model)!);
            using var lm = ModelLoader.Load(file);
            int vocab = lm.Config.VocabSize;
            foreach (var (ids, i) in sequences.Select((s, i) => (s, i)))
                foreach (int id in ids)
                    if ((uint)id >= (uint)vocab)
                    {
                        Console.Error.WriteLine($"r1 logits: sequence {i + 1}: token id {id} is outside the vocabulary of {vocab}");
                        return 1;
                    }

            using var output = new FileStream(parse.GetValue(outFile)!, FileMode.Create, FileAccess.Write);
            foreach (var ids in sequences)
            {
                var logits = new float[(long)ids.Length * vocab];
                using var seq = lm.CreateSequence(ids.Length);
                lm.Forward([new ForwardItem(seq, ids, logits, AllLogits: true)]);
                output.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(logits.AsSpan()));
            }
            return 0;
        }));
        return cmd;
    }
}
