using System.Text;

namespace R1Sharp.Inference.Tools;

/// <summary>
/// Splits a streamed answer into content and tool calls: text passes through until a block of calls opens
/// (<see cref="ToolCallSyntax.BlockBegin"/>; a possible start of it is held back), the block is collected until it
/// closes and then parsed. A block that does not parse goes out as text. One instance per answer.
/// </summary>
public sealed class ToolCallParser(ToolCallSyntax syntax)
{
    private readonly StringBuilder _buffer = new();
    private bool _inBlock;

    /// <summary>Content text that can go out now; calls completed by <paramref name="text"/> are added to <paramref name="calls"/>.</summary>
    public string Push(string text, List<ToolCall> calls)
    {
        _buffer.Append(text);
        var output = new StringBuilder();
        while (true)
        {
            string buffered = _buffer.ToString();
            if (!_inBlock)
            {
                int begin = buffered.IndexOf(syntax.BlockBegin, StringComparison.Ordinal);
                if (begin >= 0)
                {
                    output.Append(buffered, 0, begin);
                    _buffer.Remove(0, begin + syntax.BlockBegin.Length);
                    _inBlock = true;
                    continue;
                }
                int hold = HeldBack(buffered);
                output.Append(buffered, 0, buffered.Length - hold);
                _buffer.Remove(0, buffered.Length - hold);
                break;
            }
            int end = buffered.IndexOf(syntax.BlockEnd, StringComparison.Ordinal);
            if (end < 0) break;
            string inner = buffered[..end];
            if (!syntax.TryParseBlock(inner, calls)) output.Append(syntax.BlockBegin).Append(inner).Append(syntax.BlockEnd);
            _buffer.Remove(0, end + syntax.BlockEnd.Length);
            _inBlock = false;
        }
        return output.ToString();
    }

    /// <summary>At the end of the answer: a block left open (the answer hit a limit) keeps its complete calls and drops
    /// an unfinished last one (a block with no complete call stays text); held-back text goes out.</summary>
    public string Flush(List<ToolCall> calls)
    {
        string rest = _buffer.ToString();
        _buffer.Clear();
        if (!_inBlock) return rest;
        _inBlock = false;
        return syntax.TryParseBlock(rest, calls, cutShort: true) ? "" : syntax.BlockBegin + rest;
    }

    /// <summary>Whether any block of calls has opened so far.</summary>
    public bool InBlock => _inBlock;

    // The longest end of the text that could be the start of BlockBegin.
    private int HeldBack(string text)
    {
        string begin = syntax.BlockBegin;
        for (int n = Math.Min(begin.Length - 1, text.Length); n > 0; n--)
            if (string.CompareOrdinal(text, text.Length - n, begin, 0, n) == 0) return n;
        return 0;
    }
}
