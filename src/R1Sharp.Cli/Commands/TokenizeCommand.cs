using System.CommandLine;
using System.Text;
using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.Tokenization;

namespace R1Sharp.Cli.Commands;

/// <summary>
/// `r1 tokenize --model M.gguf [--bos] [--special] [--jsonl]`: stdin text to a JSON array of token ids, and
/// `r1 detokenize --model M.gguf [--skip-special] [--jsonl]`: JSON arrays of ids back to text.
/// </summary>
internal sealed class TokenizeCommand : ICliCommand
{
    public int Order => 60;

    public Command Build()
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF file whose tokenizer to use", Required = true };
        var bos = new Option<bool>("--bos") { Description = "Prepend the BOS token (default: no BOS)" };
        var special = new Option<bool>("--special")
        {
            Description = "Parse special (control) tokens written in the text, e.g. <｜User｜> (default: not parsed; user-defined tokens such as <think> are always recognized, as in llama.cpp)",
        };
        var jsonl = new Option<bool>("--jsonl")
        {
            Description = "Every stdin line is a JSON string; print one JSON array of ids per line (blank lines are skipped)",
        };
        var cmd = new Command("tokenize",
            "Tokenize stdin: prints one JSON array of token ids. Without --jsonl the WHOLE of stdin, read as UTF-8 bytes, " +
            "is the text, exactly: a trailing newline (as `echo` adds) is part of it; use `printf` or --jsonl to avoid that.")
        {
            model, bos, special, jsonl,
        };
        cmd.SetAction(parse =>
        {
            var tok = Load(parse.GetValue(model)!);
            if (tok == null) return 1;
            bool addBos = parse.GetValue(bos), parseSpecial = parse.GetValue(special);
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { NewLine = "\n" };
            string input = ReadStdin();
            if (!parse.GetValue(jsonl))
            {
                stdout.WriteLine(CliJson.Serialize(tok.Encode(input, addBos, parseSpecial)));
                return 0;
            }
            int lineNo = 0;
            foreach (string raw in input.Split('\n'))
            {
                lineNo++;
                string line = raw.TrimEnd('\r');
                if (line.Trim().Length == 0) continue;
                string? text;
                try { text = JsonSerializer.Deserialize<string>(line); }
                catch (JsonException) { return Fail($"stdin line {lineNo} is not a JSON string (as \"text\" with JSON escapes)"); }
                if (text == null) return Fail($"stdin line {lineNo} is null, expected a JSON string");
                stdout.WriteLine(CliJson.Serialize(tok.Encode(text, addBos, parseSpecial)));
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>The tokenizer of a GGUF file, or null after printing one clear error line.</summary>
    internal static Tokenizer? Load(string path)
    {
        try
        {
            using var file = GgufFile.Open(path);
            return Tokenizer.FromGguf(file);
        }
        catch (Exception e) when (e is GgufFormatException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            Console.Error.WriteLine($"r1: {e.Message}");
            return null;
        }
    }

    internal static string ReadStdin()
    {
        using var ms = new MemoryStream();
        Console.OpenStandardInput().CopyTo(ms);
        // exact bytes: no BOM stripping, invalid sequences become U+FFFD
        return new UTF8Encoding(false, false).GetString(ms.GetBuffer(), 0, (int)ms.Length);
    }

    /// <summary>Where a JsonException found the problem, without the .NET type names of its message.</summary>
    internal static string JsonErrorPlace(JsonException e) =>
        e.Path is { Length: > 1 } path ? $" (at {path})" : e.BytePositionInLine is long at ? $" (at character {at + 1})" : "";

    internal static int Fail(string message)
    {
        Console.Error.WriteLine($"r1: {message}");
        return 1;
    }
}

/// <summary>`r1 detokenize`: the inverse of `r1 tokenize`.</summary>
internal sealed class DetokenizeCommand : ICliCommand
{
    public int Order => 61;

    public Command Build()
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF file whose tokenizer to use", Required = true };
        var skip = new Option<bool>("--skip-special") { Description = "Leave out control tokens (BOS, EOS, ...)" };
        var jsonl = new Option<bool>("--jsonl") { Description = "Every stdin line is a JSON array of ids; print one JSON string per line" };
        var cmd = new Command("detokenize",
            "Detokenize stdin (a JSON array of token ids): prints the text exactly, without an added newline")
        {
            model, skip, jsonl,
        };
        cmd.SetAction(parse =>
        {
            var tok = TokenizeCommand.Load(parse.GetValue(model)!);
            if (tok == null) return 1;
            bool skipSpecial = parse.GetValue(skip);
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { NewLine = "\n" };
            string input = TokenizeCommand.ReadStdin();
            var lines = parse.GetValue(jsonl) ? input.Split('\n') : [input];
            int lineNo = 0;
            foreach (string line in lines)
            {
                lineNo++;
                if (line.Trim().Length == 0) continue;
                int[]? ids;
                try { ids = JsonSerializer.Deserialize<int[]>(line); }
                catch (JsonException e) { return TokenizeCommand.Fail($"stdin{(parse.GetValue(jsonl) ? $" line {lineNo}" : "")} is not a JSON array of token ids such as [1, 2, 3]{TokenizeCommand.JsonErrorPlace(e)}"); }
                if (ids == null) return TokenizeCommand.Fail("expected a JSON array of token ids");
                foreach (int id in ids)
                    if (id < 0 || id >= tok.VocabSize)
                        return TokenizeCommand.Fail($"token id {id} is outside the vocabulary of {tok.VocabSize}");
                string text = tok.Decode(ids, skipSpecial);
                if (parse.GetValue(jsonl)) stdout.WriteLine(CliJson.Serialize(text));
                else stdout.Write(text);
            }
            return 0;
        });
        return cmd;
    }
}
