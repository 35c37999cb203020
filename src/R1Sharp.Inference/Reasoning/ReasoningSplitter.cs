using System.Text;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Inference.Reasoning;

/// <summary>Splits a model's streamed text into reasoning (between &lt;think&gt; and &lt;/think&gt;) and answer, the way
/// DeepSeek's API fills <c>reasoning_content</c> and <c>content</c>. The tags are control, never text: neither channel
/// ever receives <c>&lt;think&gt;</c> or <c>&lt;/think&gt;</c>, wherever the model writes them.
/// <list type="bullet">
/// <item><see cref="ReasoningPhase.Thought"/> (the prompt opened &lt;think&gt;): reasoning until &lt;/think&gt;; a repeated
///   &lt;think&gt; is dropped.</item>
/// <item><see cref="ReasoningPhase.Undecided"/>: the output is a thought only if its first non-whitespace text is
///   &lt;think&gt;; a &lt;/think&gt; there, or any other text, starts the answer.</item>
/// <item><see cref="ReasoningPhase.Answer"/>: all answer; tags are dropped. There is no way back into the thought, so
///   every reasoning piece precedes every answer piece.</item>
/// <item>Reasoning has no leading or trailing whitespace (R1 writes "&lt;think&gt;\n...\n&lt;/think&gt;"); the answer no
///   leading whitespace (R1 writes "&lt;/think&gt;\n\n"), its trailing whitespace is kept.</item>
/// </list>
/// Text that may be the start of a tag (and whitespace that may turn out to be trailing reasoning) is held back until
/// the next piece decides it, so the concatenated reasoning and answer do not depend on how the stream was chunked;
/// a partial tag left at the end of the stream is text.</summary>
internal sealed class ReasoningSplitter(ReasoningPhase phase)
{
    public const string OpenTag = "<think>";
    public const string CloseTag = "</think>";

    private readonly StringBuilder _pending = new();
    private bool _reasoningStarted, _answerStarted; // a non-whitespace character of that channel was emitted

    public ReasoningPhase Phase { get; private set; } = phase;

    /// <summary>Adds streamed text; appends the pieces that are decided to <paramref name="output"/>.</summary>
    public void Push(string text, List<(TextChannel Channel, string Text)> output)
    {
        _pending.Append(text);
        Process(output, final: false);
    }

    /// <summary>End of stream: emits what was held back (a partial tag is text).</summary>
    public void Flush(List<(TextChannel Channel, string Text)> output) => Process(output, final: true);

    private void Process(List<(TextChannel, string)> output, bool final)
    {
        while (_pending.Length > 0)
        {
            switch (Phase)
            {
                case ReasoningPhase.Undecided:
                {
                    DropLeadingWhitespace();
                    if (_pending.Length == 0) return;
                    if (StartsWith(OpenTag)) { _pending.Remove(0, OpenTag.Length); Phase = ReasoningPhase.Thought; continue; }
                    if (StartsWith(CloseTag)) { _pending.Remove(0, CloseTag.Length); Phase = ReasoningPhase.Answer; continue; }
                    if (!final && IsProperPrefixOfATag()) return;
                    Phase = ReasoningPhase.Answer;
                    continue;
                }
                case ReasoningPhase.Thought:
                {
                    if (!_reasoningStarted)
                    {
                        DropLeadingWhitespace();
                        if (_pending.Length == 0) return;
                    }
                    string s = _pending.ToString();
                    var (at, tag) = FirstTag(s);
                    if (tag == CloseTag)
                    {
                        Emit(output, TextChannel.Reasoning, s[..at].TrimEnd());
                        _pending.Remove(0, at + tag.Length);
                        Phase = ReasoningPhase.Answer;
                        continue;
                    }
                    if (tag == OpenTag) { _pending.Remove(at, tag.Length); continue; }
                    // Hold back a possible start of a tag and the whitespace before it (trailing whitespace of the
                    // reasoning goes if </think> follows).
                    int end = final ? s.Length : s.Length - PartialTagSuffix(s);
                    while (end > 0 && char.IsWhiteSpace(s[end - 1])) end--;
                    Emit(output, TextChannel.Reasoning, s[..end]);
                    if (final) _pending.Clear(); else _pending.Remove(0, end);
                    return;
                }
                default:
                {
                    if (!_answerStarted)
                    {
                        DropLeadingWhitespace();
                        if (_pending.Length == 0) return;
                    }
                    string s = _pending.ToString();
                    var (at, tag) = FirstTag(s);
                    if (tag is not null) { _pending.Remove(at, tag.Length); continue; }
                    int keep = final ? s.Length : s.Length - PartialTagSuffix(s);
                    Emit(output, TextChannel.Answer, s[..keep]);
                    _pending.Remove(0, keep);
                    return;
                }
            }
        }
    }

    private void Emit(List<(TextChannel, string)> output, TextChannel channel, string text)
    {
        if (text.Length == 0) return;
        if (channel == TextChannel.Reasoning) _reasoningStarted = true; else _answerStarted = true;
        output.Add((channel, text));
    }

    private static (int At, string? Tag) FirstTag(string s)
    {
        int open = s.IndexOf(OpenTag, StringComparison.Ordinal), close = s.IndexOf(CloseTag, StringComparison.Ordinal);
        if (close >= 0 && (open < 0 || close < open)) return (close, CloseTag);
        return open >= 0 ? (open, OpenTag) : (-1, null);
    }

    private void DropLeadingWhitespace()
    {
        int i = 0;
        while (i < _pending.Length && char.IsWhiteSpace(_pending[i])) i++;
        _pending.Remove(0, i);
    }

    private bool StartsWith(string tag)
    {
        if (_pending.Length < tag.Length) return false;
        for (int i = 0; i < tag.Length; i++) if (_pending[i] != tag[i]) return false;
        return true;
    }

    private bool IsProperPrefixOfATag() => IsProperPrefixOf(OpenTag) || IsProperPrefixOf(CloseTag);

    private bool IsProperPrefixOf(string tag)
    {
        if (_pending.Length >= tag.Length) return false;
        for (int i = 0; i < _pending.Length; i++) if (_pending[i] != tag[i]) return false;
        return true;
    }

    /// <summary>Length of the longest suffix of s that is a proper prefix of either tag.</summary>
    private static int PartialTagSuffix(string s) => Math.Max(PartialTagSuffix(s, OpenTag), PartialTagSuffix(s, CloseTag));

    private static int PartialTagSuffix(string s, string tag)
    {
        for (int len = Math.Min(tag.Length - 1, s.Length); len > 0; len--)
            if (string.CompareOrdinal(s, s.Length - len, tag, 0, len) == 0) return len;
        return 0;
    }
}
