namespace R1Sharp.Numerics.Kernels;

/// <summary>
/// How one step's attention is cut into <see cref="GroupedAttention"/> work items (token, KV group, range of cached
/// positions): each token's positions 0..pos are split into ranges of about (all positions x groups) / (4 x threads),
/// at least 256, so one decoding token still keeps every thread busy at long context while prefill tokens get one
/// range each. Item i's partial results (heads of its group) sit at i * groupHeads * PartialFloats; token t's items are
/// First(t) + g * Ranges(t) + k. Arrays grow geometrically and are reused (no allocation per step in steady state).
/// </summary>
public sealed class AttentionPlan
{
    private const int MinRange = 256;
    private int[] _row = [], _group = [], _start = [], _end = [], _first = [], _ranges = [];

    /// <summary>Work items of the step.</summary>
    public int Items { get; private set; }

    /// <summary>Tasks to run them on (items t, t + Tasks, ... per task); 1 for steps too small to split.</summary>
    public int Tasks { get; private set; }

    public int Row(int item) => _row[item];
    public int Group(int item) => _group[item];
    public int Start(int item) => _start[item];
    public int End(int item) => _end[item];
    public int First(int token) => _first[token];
    public int Ranges(int token) => _ranges[token];

    /// <summary>Plans <paramref name="tokens"/> tokens; token t attends to positions 0..positions[t];
    /// <paramref name="work"/> is the step's attention multiply-adds (small steps run as one task).</summary>
    public void Plan(ReadOnlySpan<int> positions, int tokens, int groups, int threads, long work)
    {
        if (_first.Length < tokens) { _first = new int[Math.Max(tokens, 2 * _first.Length)]; _ranges = new int[_first.Length]; }
        long all = 0;
        for (int t = 0; t < tokens; t++) all += positions[t] + 1;
        int range = (int)Math.Clamp(all * groups / (4L * threads), MinRange, int.MaxValue / 2);
        range = (range + GroupedAttention.Block - 1) / GroupedAttention.Block * GroupedAttention.Block;
        int items = 0;
        for (int t = 0; t < tokens; t++)
        {
            _first[t] = items;
            _ranges[t] = (positions[t] + range) / range; // ceil((pos + 1) / range)
            items += _ranges[t] * groups;
        }
        if (_row.Length < items)
        {
            int len = Math.Max(items, 2 * _row.Length);
            _row = new int[len]; _group = new int[len]; _start = new int[len]; _end = new int[len];
        }
        for (int t = 0; t < tokens; t++)
        {
            int length = positions[t] + 1, ranges = _ranges[t];
            for (int g = 0; g < groups; g++)
                for (int k = 0; k < ranges; k++)
                {
                    int i = _first[t] + g * ranges + k;
                    _row[i] = t;
                    _group[i] = g;
                    _start[i] = (int)((long)length * k / ranges);
                    _end[i] = (int)((long)length * (k + 1) / ranges);
                }
        }
        Items = items;
        Tasks = work < 1 << 16 ? 1 : Math.Min(items, 4 * threads);
    }
}
