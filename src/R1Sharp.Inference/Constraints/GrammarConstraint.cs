using System.Numerics;
using R1Sharp.Inference.Sampling;
using R1Sharp.Tokenization;

namespace R1Sharp.Inference.Constraints;

/// <summary>
/// Constrained sampling by a <see cref="Grammar"/> over a tokenizer's vocabulary: a token may come next when all its
/// bytes continue the text so far within the grammar. One instance per request (stateful, not thread-safe); the grammar
/// and the <see cref="TokenVocabulary"/> are shared. The state after each token is the exact set of ways the grammar
/// can read the text (no backtracking), so <see cref="CanEnd"/> and <see cref="MustEnd"/> are exact, and since every
/// state the grammar keeps can be completed, the mask never bans every token as long as the vocabulary spells every
/// byte (<see cref="TokenVocabulary.HasAllBytes"/>, true of byte-level BPE vocabularies).
/// </summary>
public sealed class GrammarConstraint : ITokenConstraint
{
    private readonly TokenVocabulary _vocab;
    private readonly GrammarStepper _stepper;
    private readonly ConfigSet[] _levels;
    private readonly ConfigSet _clean = new(), _others = new(), _byteA = new(), _byteB = new(), _tokens = new();
    private readonly ulong[] _allowed;
    private readonly MatchConfig[] _one = new MatchConfig[1];
    private ConfigSet _current = new();
    private bool _allowedValid;

    public GrammarConstraint(Grammar grammar, TokenVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        ArgumentNullException.ThrowIfNull(vocabulary);
        foreach (var n in grammar.Nodes)
            foreach (var e in n.Tokens)
                if ((uint)e.Token >= (uint)vocabulary.Size)
                    throw new ArgumentException($"the grammar names token {e.Token}, outside the vocabulary of {vocabulary.Size}", nameof(grammar));
                else if (vocabulary.IsEndOfGeneration(e.Token))
                    throw new ArgumentException($"the grammar names token {e.Token}, an end-of-generation token (those are the engine's: it ends the request when MustEnd)", nameof(grammar));
        _vocab = vocabulary;
        _stepper = new GrammarStepper(grammar, GraphemeClasses.Shared);
        _levels = new ConfigSet[vocabulary.MaxDepth + 1];
        for (int i = 0; i < _levels.Length; i++) _levels[i] = new ConfigSet();
        _allowed = new ulong[(vocabulary.Size + 63) / 64];
        _stepper.Start(_current);
    }

    public GrammarConstraint(Grammar grammar, Tokenizer tokenizer) : this(grammar, TokenVocabulary.For(tokenizer)) { }

    /// <summary>A per-request factory (what GenerationParameters takes): the vocabulary is built once, here.</summary>
    public static Func<ITokenConstraint> Factory(Grammar grammar, Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        var vocabulary = TokenVocabulary.For(tokenizer);
        return () => new GrammarConstraint(grammar, vocabulary);
    }

    public bool CanEnd => _current.HasAccepted;

    public bool MustEnd => _current.Count == 1 && _current.HasAccepted;

    public bool Allows(int token)
    {
        if ((uint)token >= (uint)_vocab.Size || _vocab.IsEndOfGeneration(token)) return false;
        if (_allowedValid) return (_allowed[token >> 6] & (1UL << token)) != 0;
        return Advance(token).Count > 0;
    }

    public void Accept(int token)
    {
        if ((uint)token >= (uint)_vocab.Size || _vocab.IsEndOfGeneration(token))
            throw new InvalidOperationException($"token {token} is not allowed by the grammar here");
        var next = Advance(token);
        if (next.Count == 0) throw new InvalidOperationException($"token {token} is not allowed by the grammar here");
        _current.CopyFrom(next);
        _allowedValid = false;
    }

    public void Mask(Span<float> logits)
    {
        ComputeAllowed();
        int n = Math.Min(logits.Length, _vocab.Size);
        var endOfGeneration = _vocab.EndOfGenerationBits;
        for (int w = 0; w * 64 < n; w++)
        {
            ulong banned = ~(_allowed[w] | endOfGeneration[w]);
            if (w * 64 + 64 > n) banned &= (1UL << (n - w * 64)) - 1;
            else if (banned == ulong.MaxValue)
            {
                logits.Slice(w * 64, 64).Fill(float.NegativeInfinity); // most words outside strings: one vector fill
                continue;
            }
            while (banned != 0)
            {
                logits[w * 64 + BitOperations.TrailingZeroCount(banned)] = float.NegativeInfinity;
                banned &= banned - 1;
            }
        }
        logits[n..].Fill(float.NegativeInfinity); // logits beyond the tokenizer's vocabulary (padding rows)
    }

    /// <summary>The configurations after <paramref name="token"/> (empty when it may not come next); not committed.</summary>
    private ConfigSet Advance(int token)
    {
        _stepper.StepToken(_current.Items, token, _tokens);
        if (_vocab.Bytes(token) is not { } bytes) return _tokens;
        var viaBytes = _stepper.StepBytes(_current.Items, bytes, _byteA, _byteB);
        if (_tokens.Count == 0) return viaBytes;
        foreach (ref readonly var c in viaBytes.Items) _tokens.Add(c);
        return _tokens;
    }

    private void ComputeAllowed()
    {
        if (_allowedValid) return;
        Array.Clear(_allowed);
        _clean.Clear();
        _others.Clear();
        foreach (ref readonly var c in _current.Items)
        {
            if (c.Node == MatchConfig.Accepted) continue;
            var node = _stepper.Node(c.Node);
            foreach (var e in node.Tokens) _allowed[e.Token >> 6] |= 1UL << e.Token;
            if (node.Kind == NodeKind.String && c.Text.IsClean)
            {
                _clean.Add(c);
                AllowStringContent(c, node.String!);
            }
            else _others.Add(c);
        }
        if (_clean.Count > 0) Walk(_clean, closingOnly: true);
        if (_others.Count > 0) Walk(_others, closingOnly: false);
        _allowedValid = true;
    }

    /// <summary>
    /// Walks the vocabulary trie from <paramref name="start"/>: level d holds the configurations after the first d bytes
    /// of the current path, a subtree is skipped as soon as its prefix cannot follow. With <paramref name="closingOnly"/>
    /// (configurations inside strings, between characters) only subtrees holding string-closing tokens are visited:
    /// the content tokens were allowed from the table.
    /// </summary>
    private void Walk(ConfigSet start, bool closingOnly)
    {
        _levels[0].CopyFrom(start);
        var nodeByte = _vocab.NodeByte;
        var nodeDepth = _vocab.NodeDepth;
        var nodeEnd = _vocab.NodeEnd;
        var tokenStart = _vocab.NodeTokenStart;
        var tokenCount = _vocab.NodeTokenCount;
        var sorted = _vocab.SortedTokens;
        var closingBelow = _vocab.ClosingBelow;
        int count = nodeByte.Length;
        int i = 0;
        while (i < count)
        {
            if (closingOnly && !closingBelow[i])
            {
                i = nodeEnd[i];
                continue;
            }
            int d = nodeDepth[i];
            var to = _levels[d];
            _stepper.Step(_levels[d - 1].Items, nodeByte[i], to);
            if (to.Count == 0)
            {
                i = nodeEnd[i];
                continue;
            }
            for (int t = 0, s = tokenStart[i]; t < tokenCount[i]; t++)
            {
                int id = sorted[s + t];
                _allowed[id >> 6] |= 1UL << id;
            }
            i++;
        }
    }

    /// <summary>
    /// Allows the tokens that stay inside the string from this configuration, from the vocabulary's table: a token of
    /// c characters fits when c &lt;= maxLength - chars; while minLength is not yet met under a bounded maxLength, it
    /// must also keep minLength reachable after each of its bytes, which its least slack decides, except for tokens
    /// that themselves reach minLength (those are stepped exactly).
    /// </summary>
    private void AllowStringContent(in MatchConfig c, StringSpec spec)
    {
        var s = c.Text;
        var v = _vocab;
        int budget = spec.MaxLength == StringSpec.Unbounded ? int.MaxValue : spec.MaxLength - s.Chars;
        bool minimumOpen = s.Clusters < spec.MinLength && spec.MaxLength != StringSpec.Unbounded;
        if (!minimumOpen)
        {
            if (budget >= v.MaxContentChars) Or(v.ContentAll);
            else if (budget < TokenVocabulary.ThresholdSets) Or(v.ContentUpTo[budget]);
            else
            {
                Or(v.ContentUpTo[TokenVocabulary.ThresholdSets - 1]);
                for (int k = v.ContentCharsFrom[TokenVocabulary.ThresholdSets]; k < v.ContentCharsFrom[budget + 1]; k++) Allow(v.ContentByChars[k]);
            }
            return;
        }
        int need = spec.MinLength - s.Clusters;
        var clusters = s.PrevBlocks ? v.SortedClustersBlocked : v.SortedClusters;
        var slack = s.PrevBlocks ? v.SortedSlackBlocked : v.SortedSlack;
        int end = v.ContentCharsFrom[Math.Min(budget, v.MaxContentChars) + 1];
        // A token of n characters lowers the slack by at most n + 1: up to budget - need - 1 characters it always fits.
        int sure = Math.Min(budget - need - 1, Math.Min(budget, TokenVocabulary.ThresholdSets - 1));
        int first = 0;
        if (sure >= 1)
        {
            Or(v.ContentUpTo[sure]);
            first = v.ContentCharsFrom[sure + 1];
        }
        _one[0] = c;
        for (int k = first; k < end; k++)
        {
            if (slack[k] >= need - budget) Allow(v.ContentByChars[k]);
            else if (clusters[k] >= need && _stepper.StepBytes(_one, v.Bytes(v.ContentByChars[k])!, _byteA, _byteB).Count > 0) Allow(v.ContentByChars[k]);
        }
    }

    private void Allow(int id) => _allowed[id >> 6] |= 1UL << id;

    private void Or(ulong[] bits)
    {
        for (int i = 0; i < bits.Length; i++) _allowed[i] |= bits[i];
    }
}
