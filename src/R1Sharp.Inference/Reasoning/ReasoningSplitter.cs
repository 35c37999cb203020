using System.Text;

namespace R1Sharp.Inference.Reasoning;

/// <summary>Splits a model's streamed text into reasoning (between &lt;think&gt; and &lt;/think&gt;) and answer, never
/// emitting the tags, the way DeepSeek's API fills <c>reasoning_content</c> and <c>content</c>:
/// <list type="bullet">
/// <item>reasoning has no leading or trailing whitespace (R1 writes "&lt;think&gt;\n...\n&lt;/think&gt;");</item>
/// <item>the answer has no leading whitespace (R1 writes "&lt;/think&gt;\n\n"); its trailing whitespace is kept;</item>
/// <item>with <c>startsInReasoning</c> (the prompt already opened &lt;think&gt;) the text is reasoning until &lt;/think&gt;;
///   a &lt;think&gt; the model repeats at the very start is dropped;</item>
/// <item>otherwise the output is reasoning only if its first non-whitespace text is &lt;think&gt;; a model that skips
///   thinking gives an answer only, and tags inside the answer are left alone.</item>
/// </list>
/// Tags split across chunks are recognized (text that may be the start of a tag is held back), so the concatenated
/// reasoning and the concatenated answer do not depend on how the stream was chunked.</summary>
public sealed class ReasoningSplitter
{
    public const string OpenTag = "<think>";
    public const string CloseTag = "</think>";

    private enum Mode { Start, Reasoning, Answer }

    private readonly StringBuilder _pending = new();
    private Mode _mode;
    private bool _reasoningStarted; // a non-whitespace reasoning character was seen
    private bool _answerStarted;

    public ReasoningSplitter(bool startsInReasoning) => _mode = startsInReasoning ? Mode.Reasoning : Mode.Start;

    /// <summary>True while the text being produced is reasoning (before &lt;/think&gt;), including the undecided start
    /// of a stream that may open &lt;think&gt;.</summary>
    public bool InReasoning => _mode != Mode.Answer;

    /// <summary>True once &lt;/think&gt; was seen (or the model answered without thinking).</summary>
    public bool ReasoningEnded => _mode == Mode.Answer;

    public IReadOnlyList<(ReasoningPart Part, string Text)> Push(string text)
    {
        var output = new List<(ReasoningPart, string)>();
        _pending.Append(text);
        Process(output, final: false);
        return output;
    }

    /// <summary>End of stream: emits what was held back (a partial tag is text).</summary>
    public IReadOnlyList<(ReasoningPart Part, string Text)> Flush()
    {
        var output = new List<(ReasoningPart, string)>();
        Process(output, final: true);
        return output;
    }

    private void Process(List<(ReasoningPart, string)> output, bool final)
    {
        while (_pending.Length > 0)
        {
            switch (_mode)
            {
                case Mode.Start:
                {
                    DropLeadingWhitespace();
                    if (_pending.Length == 0) return;
                    if (StartsWith(OpenTag))
                    {
                        _pending.Remove(0, OpenTag.Length);
                        _mode = Mode.Reasoning;
                        continue;
                    }
                    if (!final && IsProperPrefixOf(OpenTag)) return;
                    _mode = Mode.Answer;
                    continue;
                }
                case Mode.Reasoning:
                {
                    if (!_reasoningStarted)
                    {
                        DropLeadingWhitespace();
                        if (_pending.Length == 0) return;
                        if (StartsWith(OpenTag)) { _pending.Remove(0, OpenTag.Length); continue; }
                        if (!final && IsProperPrefixOf(OpenTag)) return;
                    }
                    string s = _pending.ToString();
                    int close = s.IndexOf(CloseTag, StringComparison.Ordinal);
                    if (close >= 0)
                    {
                        Emit(output, ReasoningPart.Reasoning, s[..close].TrimEnd());
                        _pending.Remove(0, close + CloseTag.Length);
                        _mode = Mode.Answer;
                        continue;
                    }
                    // Hold back a possible start of </think> and the whitespace before it (trailing whitespace of the
                    // reasoning is dropped if </think> follows).
                    int keep = final ? s.Length : s.Length - PartialTagSuffix(s, CloseTag);
                    int end = keep;
                    while (end > 0 && char.IsWhiteSpace(s[end - 1])) end--;
                    if (end > 0)
                    {
                        Emit(output, ReasoningPart.Reasoning, s[..end]);
                        _pending.Remove(0, end);
                    }
                    if (final) _pending.Clear();
                    return;
                }
                case Mode.Answer:
                {
                    if (!_answerStarted)
                    {
                        DropLeadingWhitespace();
                        if (_pending.Length == 0) return;
                        _answerStarted = true;
                    }
                    Emit(output, ReasoningPart.Answer, _pending.ToString());
                    _pending.Clear();
                    return;
                }
            }
        }
    }

    private void Emit(List<(ReasoningPart, string)> output, ReasoningPart part, string text)
    {
        if (text.Length == 0) return;
        if (part == ReasoningPart.Reasoning) _reasoningStarted = true;
        output.Add((part, text));
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

    private bool IsProperPrefixOf(string tag)
    {
        if (_pending.Length >= tag.Length) return false;
        for (int i = 0; i < _pending.Length; i++) if (_pending[i] != tag[i]) return false;
        return true;
    }

    /// <summary>Length of the longest suffix of s that is a proper prefix of tag.</summary>
    private static int PartialTagSuffix(string s, string tag)
    {
        for (int len = Math.Min(tag.Length - 1, s.Length); len > 0; len--)
            if (string.CompareOrdinal(s, s.Length - len, tag, 0, len) == 0) return len;
        return 0;
    }
}
