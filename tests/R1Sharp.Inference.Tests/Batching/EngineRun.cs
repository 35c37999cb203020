using System.Text;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Inference.Tests.Batching;

/// <summary>What a request streamed, collected: the text of each channel, every update in order, the finish.</summary>
internal sealed record EngineRun(string Reasoning, string Answer, IReadOnlyList<GenerationText> Texts, GenerationFinished Finished)
{
    public static EngineRun Of(IGenerationEngine engine, GenerationRequest request)
    {
        var reader = engine.Submit(request);
        var texts = new List<GenerationText>();
        GenerationFinished? finished = null;
        var reasoning = new StringBuilder();
        var answer = new StringBuilder();
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            while (reader.TryRead(out var update))
            {
                if (update is GenerationText t)
                {
                    texts.Add(t);
                    (t.Channel == TextChannel.Reasoning ? reasoning : answer).Append(t.Text);
                }
                else finished = (GenerationFinished)update;
            }
        return new EngineRun(reasoning.ToString(), answer.ToString(), texts, finished ?? throw new InvalidOperationException("no finish"));
    }

    /// <summary>No update on the reasoning channel comes after one on the answer channel; no tag text anywhere.</summary>
    public void AssertWellFormed()
    {
        bool answerSeen = false;
        foreach (var t in Texts)
        {
            if (t.Channel == TextChannel.Answer) answerSeen = true;
            else Assert.False(answerSeen, "a reasoning update came after an answer update");
        }
        foreach (string channel in new[] { Reasoning, Answer })
        {
            Assert.DoesNotContain("<think>", channel);
            Assert.DoesNotContain("</think>", channel);
        }
    }
}
