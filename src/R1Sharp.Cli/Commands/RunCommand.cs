using System.CommandLine;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 run`: one prompt through the model's chat template; streams the thinking, then the answer, then the speed.</summary>
internal sealed class RunCommand : ICliCommand
{
    public int Order => 10;

    public Command Build()
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF model file (default: the bundled model in models/)" };
        var prompt = new Option<string>("--prompt", "-p") { Description = "The user message", Required = true };
        var system = new Option<string?>("--system") { Description = "A system message" };
        var generation = new GenerationOptions();
        var threads = CliOptions.Threads();
        var kvType = CliOptions.KvType();
        var hide = new Option<bool>("--hide-thinking") { Description = "Do not print the thinking" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the reasoning, the answer and the speed" };
        var cmd = new Command("run", "Answer one prompt: streams the model's thinking (dimmed) and then its answer")
            { model, prompt, system, threads, kvType, hide, json };
        foreach (var option in generation.All) cmd.Options.Add(option);
        cmd.SetAction(parse => CommandGuard.Run("run", () =>
        {
            var parameters = generation.Read(parse);
            using var streamer = new ChatStreamer(parse.GetValue(model), parse.GetValue(threads), null, parse.GetValue(kvType)!);
            var messages = new List<PromptMessage>();
            if (parse.GetValue(system) is { } s) messages.Add(new PromptMessage("system", s));
            messages.Add(new PromptMessage("user", parse.GetValue(prompt)!));
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
