namespace R1Sharp.Inference.Batching;

/// <summary>Splits streamed text into reasoning and answer at &lt;think&gt; ... &lt;/think&gt;, never emitting the tags
/// (a tag split across pieces is held back until it is complete). Leading whitespace of the reasoning and of the answer
/// (the newlines around the tags) is dropped, as DeepSeek's API does.</summary>
public sealed class ThinkSplitter(bool startsInReasoning)
{
    private const string Open = "<think>", Close = "</think>";
    private string _pending = "";
    private bool _answerStarted, _reasoningStarted;

    public bool InReasoning { get; private set; } = startsInReasoning;

    public List<(TextChannel Channel, string Text)> Push(string text)
    {
        var output = new List<(TextChannel, string)>();
        string buffer = _pending + text;
        _pending = "";
        while (buffer.Length > 0)
        {
            string tag = InReasoning ? Close : Open;
            int at = buffer.IndexOf(tag, StringComparison.Ordinal);
            if (at >= 0)
            {
                Add(output, buffer[..at]);
                buffer = buffer[(at + tag.Length)..];
                InReasoning = !InReasoning;
                if (!InReasoning) _answerStarted = false; else _reasoningStarted = false;
                continue;
            }
            // Hold back a suffix that may be the start of the tag.
            int hold = 0;
            for (int k = Math.Min(tag.Length - 1, buffer.Length); k > 0; k--)
                if (buffer.AsSpan(buffer.Length - k).SequenceEqual(tag.AsSpan(0, k))) { hold = k; break; }
            Add(output, buffer[..^hold]);
            _pending = buffer[^hold..];
            break;
        }
        return output;
    }

    public List<(TextChannel Channel, string Text)> Flush()
    {
        var output = new List<(TextChannel, string)>();
        Add(output, _pending);
        _pending = "";
        return output;
    }

    private void Add(List<(TextChannel, string)> output, string text)
    {
        ref bool started = ref InReasoning ? ref _reasoningStarted : ref _answerStarted;
        if (!started)
        {
            text = text.TrimStart();
            if (text.Length > 0) started = true;
        }
        if (text.Length > 0) output.Add((InReasoning ? TextChannel.Reasoning : TextChannel.Answer, text));
    }
}
