using R1Sharp.Models;

namespace R1Sharp.Server.Tests;

/// <summary>A real model that takes at least <paramref name="perStep"/> per forward step, so a request is still
/// running when a test acts on it (disconnects, queues another).</summary>
internal sealed class ThrottledModel(ILanguageModel inner, TimeSpan perStep) : ILanguageModel
{
    public ModelConfig Config => inner.Config;
    public ISequenceState CreateSequence(int capacity) => inner.CreateSequence(capacity);

    public void Forward(IReadOnlyList<ForwardItem> items)
    {
        Thread.Sleep(perStep);
        inner.Forward(items);
    }

    public void Dispose() => inner.Dispose();
}
