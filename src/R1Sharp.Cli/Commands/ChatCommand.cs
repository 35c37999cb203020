using System.CommandLine;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 chat`: interactive multi-turn chat. Earlier turns' thinking is dropped from the prompt, as R1's template does.</summary>
public sealed class ChatCommand : ICliCommand
{
    public int Order => 11;

    public Command Build()
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF model file (default: the bundled model in models/)" };
        var system = new Option<string?>("--system") { Description = "A system message" };
        var maxTokens = new Option<int>("-n", "--max-tokens") { Description = "Most tokens per reply", DefaultValueFactory = _ => 2048 };
        var temp = new Option<float>("--temp") { Description = "Temperature (0 = greedy)", DefaultValueFactory = _ => 0.6f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling", DefaultValueFactory = _ => 0.95f };
        var seed = new Option<ulong?>("--seed") { Description = "Random seed" };
        var budget = new Option<int?>("--thinking-budget") { Description = "Most thinking tokens per reply (0 = no thinking)" };
        var threads = CliOptions.Threads();
        var ctx = new Option<int?>("--ctx-size") { Description = "Context size in tokens (default: the model's, at most 4096)" };
        var hide = new Option<bool>("--hide-thinking") { Description = "Do not print the thinking" };
        var cmd = new Command("chat", "Interactive multi-turn chat (/reset starts over, /exit quits)")
            { model, system, maxTokens, temp, topP, seed, budget, threads, ctx, hide };
        cmd.SetAction(parse => CommandGuard.Run("chat", () =>
        {
            using var streamer = new ChatStreamer(parse.GetValue(model), parse.GetValue(threads), parse.GetValue(ctx));
            var history = new List<PromptMessage>();
            void Reset()
            {
                history.Clear();
                if (parse.GetValue(system) is { } s) history.Add(new PromptMessage("system", s));
            }
            Reset();
            Console.Error.WriteLine($"r1 chat with {streamer.ModelName}: type a message; /reset starts over, /exit quits.");
            var parameters = new GenerationParameters
            {
                MaxTokens = parse.GetValue(maxTokens), Temperature = parse.GetValue(temp), TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed), ThinkingBudget = parse.GetValue(budget),
            };
            while (true)
            {
                if (!Console.IsInputRedirected) Console.Write("> ");
                string? line = Console.ReadLine();
                if (line is null || line.Trim() is "/exit" or "/quit") break;
                if (line.Trim() == "/reset") { Reset(); Console.Error.WriteLine("(conversation cleared)"); continue; }
                if (line.Trim().Length == 0) continue;
                history.Add(new PromptMessage("user", line));
                var r = streamer.Reply(history, parameters, parse.GetValue(hide), quiet: false);
                history.Add(new PromptMessage("assistant", r.Answer));   // the thought is not sent back
                ChatStreamer.PrintSpeed(r);
            }
            return 0;
        }));
        return cmd;
    }
}
