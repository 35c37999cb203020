using System.Text;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Evaluation;

/// <summary>Samples completions through the serving engine (the same sampler, reasoning split and thinking budget as
/// `r1 serve`): the question as one user turn through the model's chat template, the k samples of a problem submitted
/// together as k requests (decoded in one batch when the engine has k slots). Seeds: sample i of the c-th call gets
/// <c>Seed + c*k + i</c> (an API request with that seed and the same settings gives the same text); with no seed,
/// 0x5EED is the base.</summary>
public sealed class ModelCompletionSource(IGenerationEngine engine, GenerationParameters parameters) : ICompletionSource
{
    private ulong _calls;

    public IReadOnlyList<Completion> Complete(string prompt, int samples, CancellationToken cancellationToken)
    {
        var prepared = engine.PrepareChat([new PromptMessage("user", prompt)]);
        ulong first = (parameters.Seed ?? 0x5EED) + _calls++ * (ulong)samples;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var readers = Enumerable.Range(0, samples)
                .Select(i => engine.Submit(new GenerationRequest(prepared.Tokens, parameters with { Seed = first + (ulong)i },
                    SplitReasoning: true, StartsInReasoning: prepared.StartsInReasoning) { Endpoint = "eval" }, cts.Token))
                .ToList();
            return Task.WhenAll(readers.Select(r => ReadAsync(r, cts.Token))).GetAwaiter().GetResult();
        }
        finally
        {
            cts.Cancel(); // an early exit (error, cancellation) frees the other samples' slots
        }
    }

    private static async Task<Completion> ReadAsync(System.Threading.Channels.ChannelReader<GenerationUpdate> reader, CancellationToken ct)
    {
        var reasoning = new StringBuilder();
        var answer = new StringBuilder();
        GenerationFinished? finished = null;
        await foreach (var update in reader.ReadAllAsync(ct))
        {
            if (update is GenerationText t) (t.Channel == TextChannel.Reasoning ? reasoning : answer).Append(t.Text);
            else if (update is GenerationFinished f) finished = f;
        }
        if (finished is null) throw new InvalidOperationException("a sample ended without finishing");
        ct.ThrowIfCancellationRequested();
        // Answer tokens: everything generated after the thought (a forced close and the end token included).
        return new Completion(reasoning.ToString(), answer.ToString().Trim(), finished.ReasoningTokens,
            finished.CompletionTokens - finished.ReasoningTokens);
    }
}
