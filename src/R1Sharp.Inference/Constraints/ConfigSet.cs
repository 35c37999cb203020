namespace R1Sharp.Inference.Constraints;

/// <summary>A set of configurations (the matcher's state: every way the text so far can be read), kept in a reusable
/// array; Add drops duplicates so that ambiguous grammars cannot multiply configurations.</summary>
internal sealed class ConfigSet
{
    private MatchConfig[] _items = new MatchConfig[8];

    public int Count { get; private set; }

    public ReadOnlySpan<MatchConfig> Items => _items.AsSpan(0, Count);

    public ref readonly MatchConfig this[int i] => ref _items[i];

    public void Clear()
    {
        Array.Clear(_items, 0, Count); // drop references to stacks
        Count = 0;
    }

    public void Add(in MatchConfig c)
    {
        for (int i = 0; i < Count; i++)
            if (_items[i].SameAs(c)) return;
        if (Count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        _items[Count++] = c;
    }

    public void CopyFrom(ConfigSet other)
    {
        Clear();
        if (_items.Length < other.Count) _items = new MatchConfig[other._items.Length];
        other.Items.CopyTo(_items);
        Count = other.Count;
    }

    public bool HasAccepted
    {
        get
        {
            foreach (ref readonly var c in Items)
                if (c.Node == MatchConfig.Accepted) return true;
            return false;
        }
    }
}
