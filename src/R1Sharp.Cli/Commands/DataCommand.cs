using System.CommandLine;
using R1Sharp.Gguf;
using R1Sharp.Tokenization;
using R1Sharp.Tokenization.Templates;
using R1Sharp.Training.Data;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 data arithmetic` and `r1 data countdown`: generated problems with step-by-step working in R1's format,
/// rows tagged with their task so evaluation and GRPO rewards pick the matching verifier (docs/bundled-model.md).</summary>
internal sealed class DataCommand : ICliCommand
{
    public int Order => 70;

    public Command Build() => new("data", "Generate training and evaluation data") { Arithmetic(), Countdown() };

    /// <summary>The options every generator shares: count, seed, split, output, row format, chat template.</summary>
    private sealed class Common
    {
        public readonly Option<int> Count = new("--count") { Description = "Number of problems", DefaultValueFactory = _ => 1000 };
        public readonly Option<int> Seed = new("--seed") { Description = "Random seed (same seed, same file)", DefaultValueFactory = _ => 1 };
        public readonly Option<string> Output = new("--out") { Description = "Output JSONL file (- for stdout)", Required = true };
        public readonly Option<string> Split = new("--split")
        {
            Description = "train or test: disjoint parts of the problem space (test is 10% of it, problems distinct)",
            DefaultValueFactory = _ => "train",
        };
        public readonly Option<string> Format = new("--format")
        {
            Description = "Row layout: messages ({\"messages\":[user, assistant]}), prompt ({\"prompt\",\"completion\"}), text ({\"text\"}) " +
                          "or plain (raw text, a tokenizer corpus); JSON rows also carry \"answer\" and \"task\"",
            DefaultValueFactory = _ => "messages",
        };
        public readonly Option<bool> Distinct = new("--distinct") { Description = "No repeated problem (always on for --split test)" };
        public readonly Option<string> Template = new("--template")
        {
            Description = "A GGUF (model or tokenizer) whose chat template renders each question into the prompt; implies --format prompt " +
                          "(the completion starts after what the generation prompt opens, e.g. <think>\\n)",
        };

        public void AddTo(Command c)
        {
            foreach (Option o in new Option[] { Count, Seed, Output, Split, Format, Distinct, Template }) c.Options.Add(o);
        }

        /// <summary>Parses the shared options, builds the generator and writes the file; 0 on success, 2 on a usage error.</summary>
        public int Run(ParseResult parse, Func<DataSplit, ProblemGenerator> create)
        {
            int n = parse.GetValue(Count);
            if (n < 1) return Fail("--count must be at least 1");
            DataSplit s;
            switch (parse.GetValue(Split)?.ToLowerInvariant())
            {
                case "train": s = DataSplit.Train; break;
                case "test": s = DataSplit.Test; break;
                default: return Fail($"--split must be train or test, not '{parse.GetValue(Split)}'");
            }
            ProblemRowFormat f;
            switch (parse.GetValue(Format)?.ToLowerInvariant())
            {
                case "messages": f = ProblemRowFormat.Messages; break;
                case "prompt": case "prompt-completion": f = ProblemRowFormat.PromptCompletion; break;
                case "text": f = ProblemRowFormat.Text; break;
                case "plain": f = ProblemRowFormat.Plain; break;
                default: return Fail($"--format must be messages, prompt, text or plain, not '{parse.GetValue(Format)}'");
            }
            Func<string, string>? render = null;
            if (parse.GetValue(Template) is string templatePath)
            {
                if (!File.Exists(templatePath)) return Fail($"template file not found: {templatePath}");
                try { render = PromptRenderer(templatePath); }
                catch (Exception e) when (e is not OutOfMemoryException) { return Fail($"{templatePath}: {e.Message}"); }
                f = ProblemRowFormat.PromptCompletion;
            }
            ProblemGenerator gen;
            try { gen = create(s); }
            catch (ArgumentException e) { return Fail(e.Message); }

            string path = parse.GetValue(Output)!;
            bool uniq = s == DataSplit.Test || parse.GetValue(Distinct);
            int written;
            if (path == "-")
            {
                written = ProblemsJsonl.Write(Console.Out, gen.Generate(n, uniq), f, render);
            }
            else
            {
                // Write to a temporary file and rename, so an existing file is never left half-written.
                string full = Path.GetFullPath(path), tmp = full + ".tmp";
                string? dir = Path.GetDirectoryName(full);
                if (dir != null && !Directory.Exists(dir)) return Fail($"directory does not exist: {dir}");
                using (var w = new StreamWriter(tmp, false, new System.Text.UTF8Encoding(false)))
                    written = ProblemsJsonl.Write(w, gen.Generate(n, uniq), f, render);
                File.Move(tmp, full, true);
            }
            Console.Error.WriteLine($"r1 data: wrote {written} {s.ToString().ToLowerInvariant()} problems to {path}" +
                                    (written < n ? $" (only {written} distinct problems exist with these settings)" : ""));
            return 0;
        }
    }

    private static Command Arithmetic()
    {
        var common = new Common();
        var kinds = new Option<string>("--kinds")
        {
            Description = "Comma-separated kinds among add,sub,mul,div,word (default: all, weighted 3:2:2:1:2)",
        };
        var minDigits = new Option<int>("--min-digits") { Description = "Fewest digits of an addition/subtraction operand", DefaultValueFactory = _ => 2 };
        var maxDigits = new Option<int>("--max-digits") { Description = "Most digits of an addition/subtraction operand", DefaultValueFactory = _ => 4 };
        var mulDigits = new Option<string>("--mul-digits") { Description = "Digits of the two factors of a multiplication, AxB", DefaultValueFactory = _ => "2x2" };
        var cmd = new Command("arithmetic",
            "\"What is A + B?\" (and -, *, /) and short word problems with column-by-column working inside <think>...</think>")
        {
            kinds, minDigits, maxDigits, mulDigits,
        };
        common.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            string[] md = parse.GetValue(mulDigits)!.ToLowerInvariant().Split('x');
            if (md.Length != 2 || !int.TryParse(md[0], out int mulA) || !int.TryParse(md[1], out int mulB))
                return Fail($"--mul-digits must look like 2x2, not '{parse.GetValue(mulDigits)}'");
            var options = new ArithmeticOptions
            {
                MinDigits = parse.GetValue(minDigits), MaxDigits = parse.GetValue(maxDigits), MulFirstDigits = mulA, MulSecondDigits = mulB,
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
            return common.Run(parse, split => new ArithmeticProblemGenerator(parse.GetValue(common.Seed), split, options));
        });
        return cmd;
    }

    private static Command Countdown()
    {
        var common = new Common();
        var numbers = new Option<int>("--numbers") { Description = "Numbers per puzzle (3 or 4)", DefaultValueFactory = _ => 3 };
        var maxNumber = new Option<int>("--max-number") { Description = "The numbers are drawn from 1..N", DefaultValueFactory = _ => 25 };
        var maxTarget = new Option<int>("--max-target") { Description = "Targets are reachable whole numbers in 1..N", DefaultValueFactory = _ => 999 };
        var uniform = new Option<double>("--uniform-share")
        {
            Description = "Share of targets drawn uniformly among the reachable ones (the rest: the value of a random expression)",
            DefaultValueFactory = _ => 0.5,
        };
        var maxLines = new Option<int>("--max-lines")
        {
            Description = "Training split: skip puzzles whose working is longer than this many lines",
            DefaultValueFactory = _ => 60,
        };
        var cmd = new Command("countdown",
            "Countdown puzzles (\"Using the numbers 3, 7, 25, make 46. ...\") with a systematic search inside <think>...</think>; the answer is an expression")
        {
            numbers, maxNumber, maxTarget, uniform, maxLines,
        };
        common.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var options = new CountdownOptions
            {
                Count = parse.GetValue(numbers), MaxNumber = parse.GetValue(maxNumber), MaxTarget = parse.GetValue(maxTarget),
                UniformTargetShare = parse.GetValue(uniform), MaxWorkingLines = parse.GetValue(maxLines),
            };
            return common.Run(parse, split => new CountdownProblemGenerator(parse.GetValue(common.Seed), split, options));
        });
        return cmd;
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
