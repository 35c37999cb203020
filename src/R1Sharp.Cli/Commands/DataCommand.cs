using System.CommandLine;
using R1Sharp.Gguf;
using R1Sharp.Tokenization;
using R1Sharp.Tokenization.Templates;
using R1Sharp.Training.Data;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 data arithmetic`: generated arithmetic and word problems with step-by-step working in R1's format.</summary>
internal sealed class DataCommand : ICliCommand
{
    public int Order => 70;

    public Command Build()
    {
        var count = new Option<int>("--count") { Description = "Number of problems", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same file)", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "Output JSONL file (- for stdout)", Required = true };
        var split = new Option<string>("--split")
        {
            Description = "train or test: disjoint halves of the problem space (test is 10% of it, problems distinct)",
            DefaultValueFactory = _ => "train",
        };
        var format = new Option<string>("--format")
        {
            Description = "Row layout: messages ({\"messages\":[user, assistant]}), prompt ({\"prompt\",\"completion\"}), text ({\"text\"}) " +
                          "or plain (raw text, a tokenizer corpus)",
            DefaultValueFactory = _ => "messages",
        };
        var kinds = new Option<string>("--kinds")
        {
            Description = "Comma-separated kinds among add,sub,mul,div,word (default: all, weighted 3:2:2:1:2)",
        };
        var minDigits = new Option<int>("--min-digits") { Description = "Fewest digits of an operand", DefaultValueFactory = _ => 2 };
        var maxDigits = new Option<int>("--max-digits") { Description = "Most digits of an operand", DefaultValueFactory = _ => 4 };
        var mulDigits = new Option<int>("--max-multiplier-digits") { Description = "Most digits of the second factor", DefaultValueFactory = _ => 2 };
        var distinct = new Option<bool>("--distinct") { Description = "No repeated problem (always on for --split test)" };
        var template = new Option<string>("--template")
        {
            Description = "A GGUF (model or tokenizer) whose chat template renders each question into the prompt; implies --format prompt " +
                          "(the completion starts after what the generation prompt opens, e.g. <think>\\n)",
        };

        var arithmetic = new Command("arithmetic", "Multi-digit arithmetic and short word problems with column-wise working inside <think>...</think>")
        {
            count, seed, output, split, format, kinds, minDigits, maxDigits, mulDigits, distinct, template,
        };
        arithmetic.SetAction(parse =>
        {
            int n = parse.GetValue(count);
            if (n < 1) return Fail("--count must be at least 1");
            DataSplit s;
            switch (parse.GetValue(split)?.ToLowerInvariant())
            {
                case "train": s = DataSplit.Train; break;
                case "test": s = DataSplit.Test; break;
                default: return Fail($"--split must be train or test, not '{parse.GetValue(split)}'");
            }
            ProblemRowFormat f;
            switch (parse.GetValue(format)?.ToLowerInvariant())
            {
                case "messages": f = ProblemRowFormat.Messages; break;
                case "prompt": case "prompt-completion": f = ProblemRowFormat.PromptCompletion; break;
                case "text": f = ProblemRowFormat.Text; break;
                case "plain": f = ProblemRowFormat.Plain; break;
                default: return Fail($"--format must be messages, prompt, text or plain, not '{parse.GetValue(format)}'");
            }
            Func<string, string>? render = null;
            if (parse.GetValue(template) is string templatePath)
            {
                if (!File.Exists(templatePath)) return Fail($"template file not found: {templatePath}");
                try { render = PromptRenderer(templatePath); }
                catch (Exception e) when (e is not OutOfMemoryException) { return Fail($"{templatePath}: {e.Message}"); }
                f = ProblemRowFormat.PromptCompletion;
            }
            var options = new ArithmeticOptions
            {
                MinDigits = parse.GetValue(minDigits),
                MaxDigits = parse.GetValue(maxDigits),
                MaxMultiplierDigits = parse.GetValue(mulDigits),
            };
            string? kindList = parse.GetValue(kinds);
            if (!string.IsNullOrWhiteSpace(kindList))
            {
                var weights = new Dictionary<ArithmeticKind, double>();
                foreach (string k in kindList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    ArithmeticKind? kind = k.ToLowerInvariant() switch
                    {
                        "add" or "addition" => ArithmeticKind.Addition,
                        "sub" or "subtraction" => ArithmeticKind.Subtraction,
                        "mul" or "multiplication" => ArithmeticKind.Multiplication,
                        "div" or "division" => ArithmeticKind.Division,
                        "word" => ArithmeticKind.WordProblem,
                        _ => null,
                    };
                    if (kind is null) return Fail($"unknown kind '{k}' (use add, sub, mul, div, word)");
                    weights[kind.Value] = options.Weights[kind.Value];
                }
                options = options with { Weights = weights };
            }
            ArithmeticProblemGenerator gen;
            try { gen = new ArithmeticProblemGenerator(parse.GetValue(seed), s, options); }
            catch (ArgumentException e) { return Fail(e.Message); }

            string path = parse.GetValue(output)!;
            bool uniq = s == DataSplit.Test || parse.GetValue(distinct);
            int written;
            if (path == "-")
            {
                written = ArithmeticProblemsJsonl.Write(Console.Out, gen.Generate(n, uniq), f, render);
            }
            else
            {
                // Write to a temporary file and rename, so an existing file is never left half-written.
                string full = Path.GetFullPath(path), tmp = full + ".tmp";
                string? dir = Path.GetDirectoryName(full);
                if (dir != null && !Directory.Exists(dir)) return Fail($"directory does not exist: {dir}");
                using (var w = new StreamWriter(tmp, false, new System.Text.UTF8Encoding(false)))
                    written = ArithmeticProblemsJsonl.Write(w, gen.Generate(n, uniq), f, render);
                File.Move(tmp, full, true);
            }
            Console.Error.WriteLine($"r1 data: wrote {written} {s.ToString().ToLowerInvariant()} problems to {path}" +
                                    (written < n ? $" (only {written} distinct problems exist with these settings)" : ""));
            return 0;
        });
        return new Command("data", "Generate training and evaluation data") { arithmetic };
    }

    /// <summary>question -> the chat template's rendering of one user turn with the generation prompt. A leading BOS
    /// text is dropped when the tokenizer adds BOS itself (the trainer encodes prompts with add_bos), so the trained
    /// token sequence is exactly the one inference builds from the same template.</summary>
    private static Func<string, string> PromptRenderer(string ggufPath)
    {
        ChatTemplate chat;
        bool addBos;
        using (var file = GgufFile.Open(ggufPath))
        {
            chat = ChatTemplate.FromGguf(file);
            addBos = Tokenizer.FromGguf(file).AddBos;
        }
        return question =>
        {
            string prompt = chat.Render([new ChatMessage("user", question)], addGenerationPrompt: true);
            if (addBos && chat.BosToken.Length > 0 && prompt.StartsWith(chat.BosToken, StringComparison.Ordinal))
                prompt = prompt[chat.BosToken.Length..];
            return prompt;
        };
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"r1 data: {message}");
        return 2;
    }
}
