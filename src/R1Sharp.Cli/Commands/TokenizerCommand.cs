using System.CommandLine;
using System.Diagnostics;
using R1Sharp.Gguf;
using R1Sharp.Training.Tokenizers;
using Spectre.Console;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 tokenizer train --corpus corpus.txt --vocab-size 1024 --out tok.gguf`: byte-level BPE training.</summary>
internal sealed class TokenizerCommand : ICliCommand
{
    public int Order => 62;

    public Command Build()
    {
        var corpus = new Option<string[]>("--corpus") { Description = "UTF-8 text file(s) to learn from", Required = true, AllowMultipleArgumentsPerToken = true };
        var vocabSize = new Option<int>("--vocab-size") { Description = "Total vocabulary size: 256 bytes + merges + R1's 6 special tokens", DefaultValueFactory = _ => 1024 };
        var output = new Option<string>("--out", "-o") { Description = "Output GGUF (tokenizer metadata only)", Required = true };
        var templateFrom = new Option<string?>("--chat-template-from") { Description = "Copy tokenizer.chat_template from this GGUF instead of R1-Distill's" };
        var minCount = new Option<int>("--min-count") { Description = "Ignore words seen fewer times", DefaultValueFactory = _ => 1 };
        var train = new Command("train",
            "Learn a byte-level BPE tokenizer (deepseek-r1-qwen pre-tokenizer, R1's special tokens and chat template) and write it as GGUF")
        {
            corpus, vocabSize, output, templateFrom, minCount,
        };
        train.SetAction(parse =>
        {
            string[] files = parse.GetValue(corpus)!;
            foreach (string f in files)
                if (!File.Exists(f)) return Fail($"corpus file not found: {f}");
            string? template = R1ChatTemplate.Source;
            if (parse.GetValue(templateFrom) is string from)
            {
                try
                {
                    using var g = GgufFile.Open(from);
                    template = g.GetString("tokenizer.chat_template") ?? throw new GgufFormatException(g.Path, "no tokenizer.chat_template");
                }
                catch (Exception e) when (e is GgufFormatException or IOException) { return Fail(e.Message); }
            }
            BpeTrainer trainer;
            try
            {
                trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = parse.GetValue(vocabSize), MinWordCount = parse.GetValue(minCount) });
            }
            catch (ArgumentException e) { return Fail(e.Message); }

            var sw = Stopwatch.StartNew();
            TrainedBpe result = null!;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    long totalBytes = Math.Max(1, files.Sum(f => new FileInfo(f).Length));
                    var count = ctx.AddTask("counting words", maxValue: 1.0);
                    long done = 0;
                    foreach (string f in files)
                    {
                        long size = new FileInfo(f).Length;
                        trainer.AddFile(f, new Progress<double>(p => count.Value = (done + p * size) / totalBytes));
                        done += size;
                    }
                    count.Value = 1.0;
                    var merge = ctx.AddTask("learning merges", maxValue: 1.0);
                    result = trainer.Train(new Progress<double>(p => merge.Value = p));
                    merge.Value = 1.0;
                });
            try
            {
                result.WriteGguf(parse.GetValue(output)!, template);
            }
            catch (IOException e) { return Fail($"cannot write {parse.GetValue(output)}: {e.Message}"); }
            Console.WriteLine($"{parse.GetValue(output)}: {result.Tokens.Length} tokens ({result.Merges.Length} merges, " +
                $"{trainer.DistinctWords} distinct words{(result.UnusedCount > 0 ? $", {result.UnusedCount} unused fillers: the corpus ran out of pairs" : "")}) in {sw.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return new Command("tokenizer", "Tokenizer tools") { train };
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"r1: {message}");
        return 1;
    }
}
