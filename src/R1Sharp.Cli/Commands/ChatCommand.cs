using System.CommandLine;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 chat`: interactive multi-turn chat. Earlier turns' thinking is dropped from the prompt, as R1's template
/// does. Ctrl-C during an answer stops that answer and returns to the prompt; Ctrl-C at the prompt exits.</summary>
internal sealed class ChatCommand : ICliCommand
{
    public int Order => 11;

    public Command Build()
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF model file (default: the bundled model in models/)" };
        var system = new Option<string?>("--system") { Description = "A system message" };
        var generation = new GenerationOptions();
        var threads = CliOptions.Threads();
        var ctx = new Option<int?>("--ctx-size") { Description = "Context size in tokens (default: the model's, at most 4096)" };
        var hide = new Option<bool>("--hide-thinking") { Description = "Do not print the thinking" };
        var cmd = new Command("chat", "Interactive multi-turn chat (/help lists the commands; Ctrl-C stops an answer)")
            { model, system, threads, ctx, hide };
        foreach (var option in generation.All) cmd.Options.Add(option);
        cmd.SetAction(parse => CommandGuard.Run("chat", () =>
        {
            var parameters = generation.Read(parse);
            using var streamer = new ChatStreamer(parse.GetValue(model), parse.GetValue(threads), parse.GetValue(ctx));
            var history = new List<PromptMessage>();
            void Reset()
            {
                history.Clear();
                if (parse.GetValue(system) is { } s) history.Add(new PromptMessage("system", s));
            }
            Reset();

            // Ctrl-C: during an answer it cancels that answer; at the prompt the process ends (the default), after
            // restoring the terminal.
            CancellationTokenSource? answering = null;
            void OnCancel(object? sender, ConsoleCancelEventArgs e)
            {
                var current = Volatile.Read(ref answering);
                if (current is not null)
                {
                    e.Cancel = true;
                    try { current.Cancel(); } catch (ObjectDisposedException) { }
                    return;
                }
                streamer.RestoreTerminal();
                Console.Error.WriteLine();
            }
            Console.CancelKeyPress += OnCancel;
            try
            {
                Console.Error.WriteLine($"r1 chat with {streamer.ModelName}: type a message; /help lists the commands, Ctrl-C stops an answer.");
                while (true)
                {
                    if (!Console.IsInputRedirected) Console.Write("> ");
                    string? line = Console.ReadLine();
                    if (line is null) break;
                    var input = ChatInput.Parse(line);
                    switch (input.What)
                    {
                        case ChatInput.Kind.Empty:
                            continue;
                        case ChatInput.Kind.Exit:
                            return 0;
                        case ChatInput.Kind.Help:
                            Console.Error.WriteLine(ChatInput.Help);
                            continue;
                        case ChatInput.Kind.Reset:
                            Reset();
                            Console.Error.WriteLine("(conversation cleared)");
                            continue;
                        case ChatInput.Kind.Unknown:
                            Console.Error.WriteLine($"unknown command {input.Text}: /help lists the commands (start the line with a space to send it to the model)");
                            continue;
                    }
                    history.Add(new PromptMessage("user", line));
                    using var cts = new CancellationTokenSource();
                    Volatile.Write(ref answering, cts);
                    ChatStreamer.Result r;
                    try
                    {
                        r = streamer.Reply(history, parameters, parse.GetValue(hide), quiet: false, cts.Token);
                    }
                    finally
                    {
                        Volatile.Write(ref answering, null);
                    }
                    // The thought is not sent back; an answer stopped by Ctrl-C stays as far as it got.
                    history.Add(new PromptMessage("assistant", r.Answer));
                    if (r.FinishReason == "cancelled") Console.Error.WriteLine("(stopped)");
                    ChatStreamer.PrintSpeed(r);
                }
                return 0;
            }
            finally
            {
                Console.CancelKeyPress -= OnCancel;
            }
        }));
        return cmd;
    }
}
