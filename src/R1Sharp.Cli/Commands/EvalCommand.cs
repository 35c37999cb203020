using System.CommandLine;
using System.Globalization;
using R1Sharp.Evaluation;
using R1Sharp.Inference;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.Sampling;
using Spectre.Console;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 eval`: pass@1 over k samples, majority vote (cons@k) and pass@k on a JSONL dataset (docs/evaluation.md).</summary>
internal sealed class EvalCommand : ICliCommand
{
    public int Order => 75;

    public Command Build()
    {
        var model = new Option<string?>("--model") { Description = "GGUF model (default: the bundled model)" };
        var data = new Option<string>("--data")
        {
            Description = "JSONL problems: our generated splits ({\"messages\"...,\"answer\",\"task\"}; Countdown tasks are checked by their expression), " +
                          "GSM8K ({\"question\",\"answer\"}) or MATH ({\"problem\",\"answer\"}); the summary is also given per task",
            Required = true,
        };
        var k = new Option<int>("--k") { Description = "Samples per problem (pass@1 is their mean; cons@k their majority vote)", DefaultValueFactory = _ => 4 };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only the first N problems" };
        var generation = new GenerationOptions(maxTokensDefault: 1024, seedDefault: 1);
        var threads = CliOptions.Threads();
        var noInstruction = new Option<bool>("--no-instruction") { Description = "Do not append the boxed-answer instruction to GSM8K/MATH prompts" };
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object" };
        var endpoint = new Option<string?>("--endpoint")
        {
            Description = "Evaluate an OpenAI-compatible server instead of a local model (r1 serve, llama-server, vLLM, DeepSeek's API): " +
                          "its base URL, e.g. http://127.0.0.1:8080 or https://api.deepseek.com; --model names the served model",
        };
        var apiKey = new Option<string?>("--api-key") { Description = "API key for --endpoint (default: $R1_API_KEY, then $OPENAI_API_KEY)" };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight to --endpoint (default 8)", DefaultValueFactory = _ => 8 };
        var cmd = new Command("eval", "Evaluate a model: exact final answers, pass@1 over k samples, cons@k, pass@k")
        {
            model, data, k, limit, threads, noInstruction, json, endpoint, apiKey, concurrency,
        };
        foreach (var option in generation.All) cmd.Options.Add(option);
        cmd.SetAction(parse =>
        {
            int kk = parse.GetValue(k);
            if (kk < 1) return Fail("--k must be at least 1");
            if (parse.GetValue(limit) is int l && l < 1) return Fail("--limit must be at least 1");
            GenerationParameters parameters;
            try { parameters = generation.Read(parse); }
            catch (GenerationParameterException e) { return Fail(e.Message); }
            IReadOnlyList<EvalItem> items;
            try { items = EvalDataset.Load(parse.GetValue(data)!, parse.GetValue(limit)); }
            catch (Exception e) when (e is FormatException or FileNotFoundException or IOException) { return Fail(e.Message); }
            if (items.Count == 0) return Fail("the data file has no problems");

            string? url = parse.GetValue(endpoint);
            int inFlight = parse.GetValue(concurrency);
            if (inFlight < 1) return Fail("--concurrency must be at least 1");
            BatchingEngine? engine = null;
            ICompletionSource source;
            string modelName;
            if (url is not null)
            {
                string? key = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("R1_API_KEY") ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY");
                try { source = new EndpointCompletionSource(url, key, parse.GetValue(model), parameters, inFlight); }
                catch (ArgumentException e) { return Fail(e.Message); }
                modelName = parse.GetValue(model) ?? new Uri(url).Authority;
            }
            else
            {
                string path;
                try { path = DefaultModel.Resolve(parse.GetValue(model)); }
                catch (FileNotFoundException e) { return Fail(e.Message); }
                // The k samples of a problem run as k requests, one per slot, through the serving engine.
                engine = BatchingEngine.Load(path, new BatchingOptions { Slots = kk, QueueSize = Math.Max(64, kk) },
                    new Models.ModelLoadOptions { Threads = parse.GetValue(threads) });
                source = new ModelCompletionSource(engine, parameters);
                modelName = engine.ModelName;
            }
            using var owned = engine;
            using var remote = source as IDisposable;
            var options = new EvalOptions
            {
                K = kk, AddInstruction = !parse.GetValue(noInstruction),
                ProblemsInFlight = url is null ? 1 : Math.Max(1, (inFlight + kk - 1) / kk),
            };
            bool asJson = parse.GetValue(json);
            var sampling = parameters.ToSamplingOptions();

            EvalReport report;
            if (Console.IsErrorRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            {
                int every = Math.Max(1, items.Count / 20);
                try
                {
                    report = EvalRunner.Run(items, source, options, (done, total, p1) =>
                    {
                        if (done % every == 0 || done == total)
                            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"eval {done}/{total} pass@1 so far {p1:P1}"));
                    });
                }
                catch (HttpRequestException e) { return Fail(e.Message); }
            }
            else
            {
                EvalReport? r = null;
                try
                {
                    AnsiConsole.Progress()
                        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                        .Start(ctx =>
                        {
                            var task = ctx.AddTask(Markup.Escape($"{modelName}: 0/{items.Count}"), maxValue: items.Count);
                            r = EvalRunner.Run(items, source, options, (done, total, p1) =>
                            {
                                task.Value = done;
                                task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{modelName}: {done}/{total} pass@1 {p1:P1}"));
                            });
                        });
                }
                catch (HttpRequestException e) { return Fail(e.Message); }
                report = r!;
            }
            Print(report, modelName, parse.GetValue(data)!, sampling, asJson);
            return 0;
        });
        return cmd;
    }

    private static void Print(EvalReport r, string model, string data, SamplingOptions s, bool json)
    {
        if (json)
        {
            var o = new Dictionary<string, object>
            {
                ["model"] = model, ["data"] = data, ["problems"] = r.Problems, ["k"] = r.K,
                ["temperature"] = s.Temperature, ["top_p"] = s.TopP,
                ["pass@1"] = Math.Round(r.Pass1, 6), [$"cons@{r.K}"] = Math.Round(r.ConsK, 6), [$"pass@{r.K}"] = Math.Round(r.PassK, 6),
                ["avg_reasoning_tokens"] = Math.Round(r.AvgReasoningTokens, 2), ["avg_answer_tokens"] = Math.Round(r.AvgAnswerTokens, 2),
                ["no_answer_rate"] = Math.Round(r.NoAnswerRate, 6), ["unfinished_rate"] = Math.Round(r.UnfinishedRate, 6),
                ["seconds"] = Math.Round(r.Elapsed.TotalSeconds, 1),
            };
            var tasks = EvalRunner.SummarizeByTask(r);
            if (tasks.Count > 1 || tasks.Any(t => t.Task != "other"))
                o["tasks"] = tasks.ToDictionary(t => t.Task, t => (object)new Dictionary<string, object>
                {
                    ["problems"] = t.Report.Problems, ["pass@1"] = Math.Round(t.Report.Pass1, 6),
                    [$"cons@{r.K}"] = Math.Round(t.Report.ConsK, 6), [$"pass@{r.K}"] = Math.Round(t.Report.PassK, 6),
                    ["avg_reasoning_tokens"] = Math.Round(t.Report.AvgReasoningTokens, 2), ["unfinished_rate"] = Math.Round(t.Report.UnfinishedRate, 6),
                });
            Console.WriteLine(CliJson.Serialize(o));
            return;
        }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"model {model}, data {data}: {r.Problems} problems, k = {r.K}, temperature {s.Temperature.ToString(c)}");
        Console.WriteLine(string.Create(c, $"  pass@1  {r.Pass1:P1}   (mean over {r.K} samples per problem)"));
        Console.WriteLine(string.Create(c, $"  cons@{r.K}  {r.ConsK:P1}   (majority vote)"));
        Console.WriteLine(string.Create(c, $"  pass@{r.K}  {r.PassK:P1}"));
        Console.WriteLine(string.Create(c, $"  avg tokens: reasoning {r.AvgReasoningTokens:F1}, answer {r.AvgAnswerTokens:F1}; no answer {r.NoAnswerRate:P1}, unfinished {r.UnfinishedRate:P1}; {r.Elapsed.TotalSeconds:F0} s"));
        var byTask = EvalRunner.SummarizeByTask(r);
        if (byTask.Count > 1 || byTask.Any(t => t.Task != "other"))
            foreach (var (task, t) in byTask)
                Console.WriteLine(string.Create(c, $"  {task,-12} {t.Problems,5} problems: pass@1 {t.Pass1:P1}, cons@{r.K} {t.ConsK:P1}, pass@{r.K} {t.PassK:P1}, reasoning {t.AvgReasoningTokens:F0} tokens"));
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"r1 eval: {message}");
        return 2;
    }
}
