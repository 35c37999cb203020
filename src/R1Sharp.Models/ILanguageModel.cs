namespace R1Sharp.Models;

/// <summary>A causal language model that runs batched forward steps over sequences with their own KV caches.</summary>
public interface ILanguageModel : IDisposable
{
    ModelConfig Config { get; }

    /// <summary>A fresh sequence (empty KV cache) for up to <paramref name="capacity"/> tokens; its memory is allocated once here.</summary>
    ISequenceState CreateSequence(int capacity);

    /// <summary>
    /// One batched step for several sequences at once (all their tokens share each read of the weights): appends each
    /// item's Tokens to its Sequence (positions Sequence.Length ..), writes the logits of its LAST token into
    /// item.Logits[0..VocabSize) or, when item.AllLogits, of every token t into item.Logits[t*VocabSize ..].
    /// Not thread-safe with itself: calls are serialized.
    /// </summary>
    void Forward(IReadOnlyList<ForwardItem> items);
}
