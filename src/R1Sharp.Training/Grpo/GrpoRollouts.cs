using System.Text;
using R1Sharp.Inference.Batching;
using R1Sharp.Numerics;

namespace R1Sharp.Training.Grpo;

/// <summary>
/// Samples G completions per prompt through the generation engine (the one path of serve/run/eval): every request of
/// a round is queued at once, so the engine decodes them together in its slots. Each request has its own sampler
/// seed derived from the round's seed and its index, so a round samples the same tokens whatever the slot
/// scheduling. Sampling is plain: temperature T, no top-p/top-k/penalties (the policy's own distribution, as the
/// GRPO objective assumes), no think-tag control (the completion's tokens are the policy's choices, all trained on).
/// </summary>
public static class GrpoRollouts
{
    public static List<Rollout> Generate(IGenerationEngine engine, IReadOnlyList<int[]> prompts, int generations,
                                         double temperature, int maxCompletionLength, ulong seed, CancellationToken cancel = default)
    {
        var requests = new List<(int Prompt, System.Threading.Channels.ChannelReader<GenerationUpdate> Reader)>();
        ulong state = seed;
        for (int p = 0; p < prompts.Count; p++)
            for (int g = 0; g < generations; g++)
            {
                var parameters = new GenerationParameters
                {
                    Temperature = (float)temperature, TopP = 1, TopK = 0, MinP = 0, RepetitionPenalty = 1, PresencePenalty = 0, FrequencyPenalty = 0,
                    MaxTokens = maxCompletionLength, Seed = Xoshiro256StarStar.SplitMix64(ref state),
                };
                var request = new GenerationRequest(prompts[p], parameters, SplitReasoning: false) { ReturnTokens = true, Endpoint = "grpo" };
                requests.Add((p, engine.Submit(request, cancel)));
            }
        var rollouts = new List<Rollout>(requests.Count);
        foreach (var (p, reader) in requests)
        {
            var text = new StringBuilder();
            GenerationFinished? done = null;
            while (reader.WaitToReadAsync(cancel).AsTask().GetAwaiter().GetResult())
                while (reader.TryRead(out var u))
                {
                    if (u is GenerationText t) text.Append(t.Text);
                    else if (u is GenerationFinished f) done = f;
                }
            if (done is null || done.Tokens is null) throw new InvalidOperationException("the engine ended a rollout without its tokens");
            if (done.FinishReason is not ("stop" or "length"))
                throw new OperationCanceledException($"a rollout ended with '{done.FinishReason}'");
            rollouts.Add(new Rollout(p, prompts[p], [.. done.Tokens], text.ToString(), done.FinishReason == "length"));
        }
        return rollouts;
    }
}
