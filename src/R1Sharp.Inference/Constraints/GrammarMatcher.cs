using System.Text;

namespace R1Sharp.Inference.Constraints;

/// <summary>Matches text against a <see cref="Grammar"/> byte by byte (no tokenizer): whether a text is a prefix of the
/// grammar's language, a complete sentence, or a complete one that nothing may extend. Not thread-safe.</summary>
public sealed class GrammarMatcher
{
    private readonly GrammarStepper _stepper;
    private ConfigSet _current = new(), _scratchA = new(), _scratchB = new();

    public GrammarMatcher(Grammar grammar)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        _stepper = new GrammarStepper(grammar, GraphemeClasses.Shared);
        _stepper.Start(_current);
    }

    /// <summary>The text so far is a complete sentence of the grammar.</summary>
    public bool IsComplete => _current.HasAccepted;

    /// <summary>Complete, and no byte or token may follow.</summary>
    public bool IsFinished => _current.Count == 1 && _current.HasAccepted;

    /// <summary>Reads <paramref name="bytes"/> if the text stays a prefix of the language; otherwise returns false and
    /// keeps the state.</summary>
    public bool TryAdvance(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return true;
        var result = _stepper.StepBytes(_current.Items, bytes, _scratchA, _scratchB);
        if (result.Count == 0) return false;
        if (ReferenceEquals(result, _scratchA)) (_current, _scratchA) = (_scratchA, _current);
        else (_current, _scratchB) = (_scratchB, _current);
        return true;
    }

    public bool TryAdvance(string text) => TryAdvance(Encoding.UTF8.GetBytes(text));

    /// <summary>Whether <paramref name="bytes"/> could be read now (the state does not change).</summary>
    public bool CanAdvance(ReadOnlySpan<byte> bytes) =>
        bytes.IsEmpty || _stepper.StepBytes(_current.Items, bytes, _scratchA, _scratchB).Count > 0;

    /// <summary>Takes an exact-token edge (<see cref="GrammarExpr.Token"/>) if one is open here.</summary>
    public bool TryAdvanceToken(int tokenId)
    {
        _stepper.StepToken(_current.Items, tokenId, _scratchA);
        if (_scratchA.Count == 0) return false;
        (_current, _scratchA) = (_scratchA, _current);
        return true;
    }

    /// <summary>Whether <paramref name="text"/> as a whole is a sentence of <paramref name="grammar"/>.</summary>
    public static bool Matches(Grammar grammar, string text)
    {
        var m = new GrammarMatcher(grammar);
        return m.TryAdvance(text) && m.IsComplete;
    }
}
