namespace R1Sharp.Models;

/// <summary>One sequence's share of a batched <see cref="ILanguageModel.Forward"/> step.</summary>
/// <param name="Sequence">The sequence the tokens are appended to.</param>
/// <param name="Tokens">Token ids to append (at least one).</param>
/// <param name="Logits">Receives VocabSize logits of the last token, or Tokens.Length*VocabSize when <paramref name="AllLogits"/>.</param>
/// <param name="AllLogits">Write the logits of every token, not just the last.</param>
public sealed record ForwardItem(ISequenceState Sequence, ReadOnlyMemory<int> Tokens, Memory<float> Logits, bool AllLogits = false);
