namespace R1Sharp.Inference.Batching;

/// <summary>Finds stop strings in streamed text. Text that could still be the start of a stop string is held back
/// until the next piece decides it, so a stop string split across tokens is never emitted.</summary>
internal sealed class StopStringMatcher(IReadOnlyList<string> stops)
{
    private string _pending = "";

    public bool Stopped { get; private set; }

    /// <summary>Adds text; returns what can be emitted now. After a match <see cref="Stopped"/> is set and the text
    /// before the stop string is returned.</summary>
    public string Push(string text)
    {
        if (Stopped) return "";
        if (stops.Count == 0) return text;
        string buffer = _pending + text;
        int best = -1;
        foreach (var s in stops)
        {
            int i = buffer.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        if (best >= 0)
        {
            Stopped = true;
            _pending = "";
            return buffer[..best];
        }
        int hold = 0;
        foreach (var s in stops)
            for (int k = Math.Min(s.Length - 1, buffer.Length); k > hold; k--)
                if (buffer.AsSpan(buffer.Length - k).SequenceEqual(s.AsSpan(0, k))) { hold = k; break; }
        _pending = buffer[^hold..];
        return buffer[..^hold];
    }

    /// <summary>The held-back text at the end of generation (it was no stop string after all).</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _pending;
        _pending = "";
        return rest;
    }
}
