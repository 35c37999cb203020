using R1Sharp.Tokenization;

namespace R1Sharp.Inference.Reasoning;

/// <summary>A vocabulary's think tags as control: their ids (R1's vocabularies have &lt;think&gt; and &lt;/think&gt; as
/// single tokens), the tokens the engine forces to close a thought, and which tag ids the sampler must not draw in each
/// phase: once the thought is open &lt;think&gt; never comes again, once it is closed neither tag does. Where a tag is
/// not a single token it cannot be banned by id; <see cref="ReasoningSplitter"/> still keeps its text out of both
/// channels.</summary>
internal sealed class ThinkTags
{
    /// <summary>What the engine writes to end a thought when the budget is spent.</summary>
    public const string CloseText = "\n</think>\n\n";

    private readonly int[] _open, _close, _both;

    public ThinkTags(int? openId, int? closeId, int[] closeTokens)
    {
        OpenId = openId;
        CloseId = closeId;
        CloseTokens = closeTokens;
        _open = openId is int o ? [o] : [];
        _close = closeId is int c ? [c] : [];
        _both = [.. _open, .. _close];
    }

    public static ThinkTags For(Tokenizer tokenizer) =>
        new(tokenizer.FindToken(ReasoningSplitter.OpenTag), tokenizer.FindToken(ReasoningSplitter.CloseTag),
            tokenizer.Encode(CloseText, addBos: false, parseSpecial: true));

    public int? OpenId { get; }
    public int? CloseId { get; }
    public int[] CloseTokens { get; }

    /// <summary>The tag ids the sampler must not draw in <paramref name="phase"/>: undecided, &lt;/think&gt; (and
    /// &lt;think&gt; when no thought is allowed); in the thought, &lt;think&gt;; in the answer, both.</summary>
    public ReadOnlySpan<int> Banned(ReasoningPhase phase, bool thoughtAllowed) => phase switch
    {
        ReasoningPhase.Undecided => thoughtAllowed ? _close : _both,
        ReasoningPhase.Thought => _open,
        _ => _both,
    };
}
