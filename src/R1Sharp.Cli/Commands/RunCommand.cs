using System.CommandLine;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 run`: one prompt through the model's chat template; streams the thinking, then the answer, then the speed.</summary>
public sealed class RunCommand : ICliCommand
{
    public int Order => 10;

    public Command Build()
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF model file (default: the bundled model in models/)" };
        var prompt = new Option<string>("--prompt", "-p") { Description = "The user message", Required = true };
        var system = new Option<string?>("--system") { Description = "A system message" };
        var maxTokens = new Option<int>("-n", "--max-tokens") { Description = "Most tokens to generate", DefaultValueFactory = _ => 1024 };
        var temp = new Option<float>("--temp") { Description = "Temperature (0 = greedy; R1 recommends 0.6)", DefaultValueFactory = _ => 0.6f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling", DefaultValueFactory = _ => 0.95f };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0 = off)" };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens below min-p times the best one's probability" };
        var repeat = new Option<float>("--repeat-penalty") { Description = "Repetition penalty (1 = off)", DefaultValueFactory = _ => 1f };
        var seed = new Option<ulong?>("--seed") { Description = "Random seed (same seed, same output)" };
        var budget = new Option<int?>("--thinking-budget") { Description = "Most thinking tokens before the answer is forced (0 = no thinking)" };
        var stop = new Option<string[]>("--stop") { Description = "Stop string (repeatable)", AllowMultipleArgumentsPerToken = false };
        var threads = CliOptions.Threads();
        var hide = new Option<bool>("--hide-thinking") { Description = "Do not print the thinking" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the reasoning, the answer and the speed" };
        var cmd = new Command("run", "Answer one prompt: streams the model's thinking (dimmed) and then its answer")
            { model, prompt, system, maxTokens, temp, topP, topK, minP, repeat, seed, budget, stop, threads, hide, json };
        cmd.SetAction(parse => CommandGuard.Run("run", () =>
        {
            using var streamer = new ChatStreamer(parse.GetValue(model), parse.GetValue(threads), null);
            var messages = new List<PromptMessage>();
            if (parse.GetValue(system) is { } s) messages.Add(new PromptMessage("system", s));
            messages.Add(new PromptMessage("user", parse.GetValue(prompt)!));
            var parameters = new GenerationParameters
            {
                MaxTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(temp),
                TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK),
                MinP = parse.GetValue(minP),
                RepetitionPenalty = parse.GetValue(repeat),
                Seed = parse.GetValue(seed),
                ThinkingBudget = parse.GetValue(budget),
                Stop = parse.GetValue(stop) ?? [],
            };
            bool asJson = parse.GetValue(json);
            var r = streamer.Reply(messages, parameters, parse.GetValue(hide), quiet: asJson);
            if (asJson)
                Console.WriteLine(CliJson.Serialize(new Dictionary<string, object>
                {
                    ["reasoning_content"] = r.Reasoning, ["content"] = r.Answer, ["prompt_tokens"] = r.PromptTokens,
                    ["completion_tokens"] = r.CompletionTokens, ["reasoning_tokens"] = r.ReasoningTokens, ["finish_reason"] = r.FinishReason,
                    ["prefill_tps"] = Math.Round(r.PrefillTokensPerSecond, 2), ["decode_tps"] = Math.Round(r.DecodeTokensPerSecond, 2),
                }));
            else ChatStreamer.PrintSpeed(r);
            return 0;
        }));
        return cmd;
    }
}
