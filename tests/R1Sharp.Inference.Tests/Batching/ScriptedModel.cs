using R1Sharp.Models;

namespace R1Sharp.Inference.Tests.Batching;

/// <summary>A language model whose next-token logits are a function of the tokens so far (<see cref="Script"/>), so the
/// engine's own logic (sampler chain, think-tag control, budgets, constraints, streaming) can be checked against exact,
/// hand-derived expectations.</summary>
internal sealed class ScriptedModel(int vocabSize, int contextLength = 32768) : ILanguageModel
{
    public ModelConfig Config { get; } = new()
    {
        Architecture = "scripted", VocabSize = vocabSize, ContextLength = contextLength, EmbeddingLength = 1, LayerCount = 1,
        FeedForwardLength = 1, HeadCount = 1, HeadCountKv = 1, KeyLength = 2, ValueLength = 2, RmsEpsilon = 1e-6f,
        RopeFreqBase = 10000, RopeDimensionCount = 2, RopeStyle = RopeStyle.Normal,
    };

    /// <summary>Writes the logits (vocabSize, pre-filled with 0) that follow the given tokens.</summary>
    public Action<IReadOnlyList<int>, float[]> Script { get; set; } = (_, _) => { };

    public ISequenceState CreateSequence(int capacity) => new Sequence(capacity);

    public void Forward(IReadOnlyList<ForwardItem> items)
    {
        foreach (var item in items)
        {
            var seq = (Sequence)item.Sequence;
            if (seq.Length + item.Tokens.Length > seq.Capacity) throw new InvalidOperationException("the sequence is full");
            seq.Tokens.AddRange(item.Tokens.ToArray());
            var logits = new float[vocabSize];
            Script(seq.Tokens, logits);
            logits.CopyTo(item.Logits.Span);
        }
    }

    public void Dispose() { }

    /// <summary>A model that wants to write <paramref name="wanted"/> after a prompt of <paramref name="promptLength"/>
    /// tokens: the wanted token of each position gets logit 10, <paramref name="fallback"/> 5, every other token 0.
    /// Positions beyond the list want <paramref name="fallback"/>.</summary>
    public static Action<IReadOnlyList<int>, float[]> Writer(int promptLength, int[] wanted, int fallback) => (tokens, logits) =>
    {
        int k = tokens.Count - promptLength;
        logits[fallback] = 5;
        if (k < wanted.Length) logits[wanted[k]] = 10;
    };

    private sealed class Sequence(int capacity) : ISequenceState
    {
        public readonly List<int> Tokens = [];
        public int Length => Tokens.Count;
        public int Capacity => capacity;
        public void Truncate(int length) => Tokens.RemoveRange(length, Tokens.Count - length);
        public void Dispose() { }
    }
}
