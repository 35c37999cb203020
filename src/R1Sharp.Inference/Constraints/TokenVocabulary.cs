using System.Runtime.CompilerServices;
using R1Sharp.Tokenization;

namespace R1Sharp.Inference.Constraints;

/// <summary>
/// A tokenizer's vocabulary arranged for constrained sampling, built once per tokenizer (about 0.2 s for 152k tokens)
/// and shared by every request:
/// <list type="bullet">
/// <item>a byte trie of the normal tokens, flattened in preorder (node i's subtree is [i, NodeEnd[i])), so that a mask
/// walks it with one configuration set per depth and skips a whole subtree when its prefix cannot follow;</item>
/// <item>each token read as JSON string content from a clean state (between characters): content tokens (never
/// closing the string) are allowed inside any string by table lookups on their length counts instead of a walk;
/// tokens that close the string are found by walking only the subtrees that hold them.</item>
/// </list>
/// Control, user-defined, unused and byte tokens (and tokens with no bytes) never match text; end-of-generation tokens
/// are left alone (the engine's business).
/// </summary>
public sealed class TokenVocabulary
{
    internal const byte Invalid = 0, Content = 1, Closing = 2;
    internal const int ThresholdSets = 16;

    private static readonly ConditionalWeakTable<Tokenizer, TokenVocabulary> s_cache = new();

    private readonly byte[]?[] _bytes;

    public TokenVocabulary(Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Size = tokenizer.VocabSize;
        _bytes = new byte[Size][];
        EndOfGenerationBits = new ulong[(Size + 63) / 64];
        foreach (int id in tokenizer.EndOfGenerationIds) EndOfGenerationBits[id >> 6] |= 1UL << id;
        var normal = new List<int>();
        for (int id = 0; id < Size; id++)
        {
            var b = tokenizer.TokenBytes(id);
            if (tokenizer.GetTokenType(id) != TokenType.Normal || b.IsEmpty || IsEndOfGeneration(id)) continue;
            _bytes[id] = b.ToArray();
            normal.Add(id);
        }
        HasAllBytes = normal.Where(id => _bytes[id]!.Length == 1).Select(id => _bytes[id]![0]).Distinct().Count() == 256;
        BuildTrie(normal);
        BuildStringTable(normal);
    }

    /// <summary>The vocabulary of <paramref name="tokenizer"/>, built on first use and kept while the tokenizer lives.</summary>
    public static TokenVocabulary For(Tokenizer tokenizer) => s_cache.GetValue(tokenizer, t => new TokenVocabulary(t));

    public int Size { get; }

    /// <summary>Every byte is a token of its own: whatever the grammar allows next, some token spells it (no dead ends).</summary>
    public bool HasAllBytes { get; }

    internal bool IsEndOfGeneration(int id) => (EndOfGenerationBits[id >> 6] & (1UL << id)) != 0;

    /// <summary>End-of-generation tokens as a bitset (one bit per token id).</summary>
    internal ulong[] EndOfGenerationBits { get; }

    /// <summary>The bytes of a token that may match text; null for special and empty tokens.</summary>
    internal byte[]? Bytes(int id) => _bytes[id];

    // ---- trie (preorder) ----
    internal byte[] NodeByte = [];
    internal int[] NodeDepth = [];      // 1 for children of the root
    internal int[] NodeEnd = [];        // index just past the node's subtree
    internal int[] NodeTokenStart = []; // into SortedTokens: the tokens spelled exactly by the path to the node
    internal int[] NodeTokenCount = [];
    internal int[] SortedTokens = [];
    internal int MaxDepth;
    internal bool[] ClosingBelow = [];  // the subtree holds a token that closes a string from a clean state

    public int TrieNodeCount => NodeByte.Length;

    private void BuildTrie(List<int> ids)
    {
        var sorted = ids.ToArray();
        Array.Sort(sorted, (a, b) =>
        {
            int c = _bytes[a].AsSpan().SequenceCompareTo(_bytes[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        SortedTokens = sorted;
        var nodeByte = new List<byte>();
        var nodeDepth = new List<int>();
        var nodeEnd = new List<int>();
        var tokenStart = new List<int>();
        var tokenCount = new List<int>();
        var open = new List<int>(); // open[d-1] = node index at depth d on the current path
        byte[] prev = [];
        for (int k = 0; k < sorted.Length; k++)
        {
            byte[] b = _bytes[sorted[k]]!;
            int common = 0;
            while (common < b.Length && common < prev.Length && b[common] == prev[common] && common < open.Count) common++;
            for (int d = open.Count; d > common; d--) nodeEnd[open[d - 1]] = nodeByte.Count;
            open.RemoveRange(common, open.Count - common);
            for (int d = common; d < b.Length; d++)
            {
                open.Add(nodeByte.Count);
                nodeByte.Add(b[d]);
                nodeDepth.Add(d + 1);
                nodeEnd.Add(-1);
                tokenStart.Add(-1);
                tokenCount.Add(0);
            }
            int node = open[b.Length - 1];
            if (tokenCount[node] == 0) tokenStart[node] = k;
            tokenCount[node]++;
            prev = b;
            MaxDepth = Math.Max(MaxDepth, b.Length);
        }
        foreach (int n in open) nodeEnd[n] = nodeByte.Count;
        NodeByte = [.. nodeByte];
        NodeDepth = [.. nodeDepth];
        NodeEnd = [.. nodeEnd];
        NodeTokenStart = [.. tokenStart];
        NodeTokenCount = [.. tokenCount];
    }

    // ---- tokens as JSON string content, read from a clean state ----
    internal int[] ContentByChars = [];       // content tokens (never closing the string) sorted by characters begun
    // In ContentByChars order (scanned in a row): least StringScan.Slack after any byte, and clusters counted; each for
    // a previous character that does not block and one that does.
    internal short[] SortedSlack = [], SortedSlackBlocked = [];
    internal ushort[] SortedClusters = [], SortedClustersBlocked = [];
    internal int[] ContentCharsFrom = [];     // ContentCharsFrom[c] = first index in ContentByChars with >= c characters
    internal int MaxContentChars;
    internal ulong[] ContentAll = [];
    internal ulong[][] ContentUpTo = [];      // ContentUpTo[k]: content tokens of at most k characters

    private void BuildStringTable(List<int> ids)
    {
        var graphemes = GraphemeClasses.Shared;
        var kinds = new byte[Size];
        var chars = new int[Size];
        var scans = new Dictionary<int, (int Clusters, int Slack, int ClustersBlocked, int SlackBlocked)>();
        foreach (int id in ids)
        {
            var bytes = _bytes[id]!;
            var (kind, n, clusters, slack) = ScanAsContent(bytes, prevBlocks: false, graphemes);
            kinds[id] = kind;
            chars[id] = n;
            if (kind != Content) continue;
            var (_, _, clustersBlocked, slackBlocked) = ScanAsContent(bytes, prevBlocks: true, graphemes);
            scans[id] = (clusters, slack, clustersBlocked, slackBlocked);
        }
        ContentByChars = [.. scans.Keys.OrderBy(id => chars[id]).ThenBy(id => id)];
        static short Short(int x) => (short)Math.Clamp(x, short.MinValue, short.MaxValue);
        static ushort UShort(int x) => (ushort)Math.Min(x, ushort.MaxValue);
        SortedSlack = [.. ContentByChars.Select(id => Short(scans[id].Slack))];
        SortedSlackBlocked = [.. ContentByChars.Select(id => Short(scans[id].SlackBlocked))];
        SortedClusters = [.. ContentByChars.Select(id => UShort(scans[id].Clusters))];
        SortedClustersBlocked = [.. ContentByChars.Select(id => UShort(scans[id].ClustersBlocked))];
        MaxContentChars = ContentByChars.Length == 0 ? 0 : chars[ContentByChars[^1]];
        ContentCharsFrom = new int[MaxContentChars + 2];
        for (int c = 0, i = 0; c < ContentCharsFrom.Length; c++)
        {
            while (i < ContentByChars.Length && chars[ContentByChars[i]] < c) i++;
            ContentCharsFrom[c] = i;
        }
        int words = (Size + 63) / 64;
        ContentAll = new ulong[words];
        ContentUpTo = new ulong[ThresholdSets][];
        for (int k = 0; k < ThresholdSets; k++) ContentUpTo[k] = new ulong[words];
        foreach (int id in ContentByChars)
        {
            ContentAll[id >> 6] |= 1UL << id;
            for (int k = chars[id]; k < ThresholdSets; k++) ContentUpTo[k][id >> 6] |= 1UL << id;
        }
        var closingPrefix = new int[NodeByte.Length + 1];
        for (int i = 0; i < NodeByte.Length; i++)
        {
            bool closing = false;
            for (int t = 0; t < NodeTokenCount[i]; t++) closing |= kinds[SortedTokens[NodeTokenStart[i] + t]] == Closing;
            closingPrefix[i + 1] = closingPrefix[i] + (closing ? 1 : 0);
        }
        ClosingBelow = new bool[NodeByte.Length];
        for (int i = 0; i < NodeByte.Length; i++) ClosingBelow[i] = closingPrefix[NodeEnd[i]] - closingPrefix[i] > 0;
    }

    /// <summary>Reads a token inside an unbounded string from a clean state, recording the least
    /// <see cref="StringScan.Slack"/> after any of its bytes (what a bounded string's feasibility checks see), so a
    /// mask decides bounded strings without re-reading the token.</summary>
    private static (byte Kind, int Chars, int Clusters, int MinSlack) ScanAsContent(byte[] bytes, bool prevBlocks, GraphemeClasses graphemes)
    {
        var s = StringScan.Opened(isKey: false);
        s.PrevBlocks = prevBlocks;
        int minSlack = int.MaxValue;
        foreach (byte b in bytes)
        {
            switch (s.Step(b, StringSpec.Any, graphemes))
            {
                case ScanResult.Dead: return (Invalid, 0, 0, 0);
                case ScanResult.Closed: return (Closing, s.Chars, s.Clusters, minSlack);
            }
            minSlack = Math.Min(minSlack, s.Slack(graphemes));
        }
        return (Content, s.Chars, s.Clusters, minSlack);
    }

}
