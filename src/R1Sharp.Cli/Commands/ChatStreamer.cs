using System.Diagnostics;
using System.Text;
using R1Sharp.Inference;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Cli.Commands;

/// <summary>
/// Shared by `r1 run` and `r1 chat`: one model behind a single-slot <see cref="BatchingEngine"/> (the same loader and
/// generation path as `r1 serve`), streaming the thinking (dimmed on a terminal, or hidden) and then the answer.
/// </summary>
internal sealed class ChatStreamer : IDisposable
{
    private const string Dim = "\x1b[2m", Reset = "\x1b[0m";
    private readonly BatchingEngine _engine;
    private readonly bool _color = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
    private volatile bool _dimmed;

    public ChatStreamer(string? modelPath, int? threads, int? contextSize, string kvType = "f32")
    {
        _engine = BatchingEngine.Load(DefaultModel.Resolve(modelPath), new BatchingOptions { Slots = 1, ContextSize = contextSize },
            new R1Sharp.Models.ModelLoadOptions { Threads = threads, KvType = R1Sharp.Models.ModelLoadOptions.ParseKvType(kvType) });
    }

    public string ModelName => _engine.ModelName;

    public sealed record Result(string Reasoning, string Answer, int PromptTokens, int CompletionTokens, int ReasoningTokens,
                                double PrefillTokensPerSecond, double DecodeTokensPerSecond, string FinishReason);

    /// <summary>Generates a reply to <paramref name="messages"/>, writing it to stdout as it comes unless
    /// <paramref name="quiet"/>. Cancelling <paramref name="cancellationToken"/> stops the reply where it is (finish
    /// reason "cancelled", the text so far kept).</summary>
    public Result Reply(IReadOnlyList<PromptMessage> messages, GenerationParameters parameters, bool hideThinking, bool quiet,
        CancellationToken cancellationToken = default)
    {
        var prompt = _engine.PrepareChat(messages);
        var clock = Stopwatch.StartNew();
        double firstToken = 0;
        var reasoning = new StringBuilder();
        var answer = new StringBuilder();
        TextChannel? current = null;
        GenerationFinished? done = null;
        var request = new GenerationRequest(prompt.Tokens, parameters, SplitReasoning: true, StartsInReasoning: prompt.StartsInReasoning)
        {
            Endpoint = "cli",
        };
        var reader = _engine.Submit(request, cancellationToken);
        try
        {
            // The engine ends a cancelled request itself (with a "cancelled" finish), so the loop always drains.
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (reader.TryRead(out var update))
                {
                    if (update is GenerationText text)
                    {
                        if (firstToken == 0) firstToken = clock.Elapsed.TotalSeconds;
                        (text.Channel == TextChannel.Reasoning ? reasoning : answer).Append(text.Text);
                        if (quiet || (text.Channel == TextChannel.Reasoning && hideThinking)) continue;
                        if (current != text.Channel)
                        {
                            if (current == TextChannel.Reasoning) EndThinking();
                            if (text.Channel == TextChannel.Reasoning) BeginThinking();
                            current = text.Channel;
                        }
                        Console.Write(text.Text);
                    }
                    else if (update is GenerationFinished f) done = f;
                }
            }
        }
        finally
        {
            RestoreTerminal();
            if (!quiet && current is not null) Console.WriteLine();
            Console.Out.Flush();
        }
        double total = clock.Elapsed.TotalSeconds;
        done ??= new GenerationFinished("error", prompt.Tokens.Length, 0, 0, 0);
        double prefill = firstToken > 0 ? (done.PromptTokens - done.CachedPromptTokens) / firstToken : 0;
        double decode = done.CompletionTokens > 1 && total > firstToken ? (done.CompletionTokens - 1) / (total - firstToken) : 0;
        return new Result(reasoning.ToString(), answer.ToString(), done.PromptTokens, done.CompletionTokens, done.ReasoningTokens, prefill, decode, done.FinishReason);
    }

    private void BeginThinking()
    {
        if (_color)
        {
            _dimmed = true;
            Console.Write(Dim);
        }
        else Console.Write("<think>\n");
    }

    private void EndThinking()
    {
        if (_color)
        {
            Console.Write(Reset + "\n\n");
            _dimmed = false;
        }
        else Console.Write("\n</think>\n\n");
    }

    /// <summary>Ends the dimmed style if it is on (also safe from a Ctrl-C handler, so the terminal is never left dim).</summary>
    public void RestoreTerminal()
    {
        if (!_dimmed) return;
        _dimmed = false;
        Console.Write(Reset);
        Console.Out.Flush();
    }

    public static void PrintSpeed(Result r) =>
        Console.Error.WriteLine($"[{r.PromptTokens} prompt tokens, {r.PrefillTokensPerSecond:F1} t/s | {r.CompletionTokens} generated ({r.ReasoningTokens} thinking), {r.DecodeTokensPerSecond:F1} t/s | {r.FinishReason}]");

    public void Dispose() => _engine.Dispose();
}
