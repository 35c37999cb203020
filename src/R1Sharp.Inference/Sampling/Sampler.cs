using R1Sharp.Numerics;

namespace R1Sharp.Inference.Sampling;

/// <summary>Turns logits into a token for one sequence. The chain follows llama.cpp's default order:
/// penalties -> top-k -> top-p -> min-p -> temperature -> sample. As in llama.cpp, top-p and min-p look at the
/// distribution at temperature 1 (over the candidates left by the previous step) and temperature only shapes the final
/// draw. Temperature 0 is greedy (argmax after penalties). Banned token ids (think tags, end-of-generation tokens the
/// engine forbids) never come out; an <see cref="ITokenConstraint"/> is checked on the draw and, when it rejects it,
/// masks the logits for a second draw (llama.cpp's grammar sampling). Scratch buffers are allocated once; Sample does
/// not allocate. One instance serves many sequences in turn (<see cref="Reset"/>).</summary>
internal sealed class Sampler
{
    private SamplingOptions _options;
    private readonly int _vocab;
    private readonly float[] _work;     // penalized logits
    private readonly int[] _cand;       // candidate token ids
    private readonly double[] _weight;  // scratch weights for the candidates
    private readonly int[] _counts;     // occurrences of each token in the penalty window
    private int[] _window;              // ring buffer of the last accepted tokens
    private readonly List<int> _history = [];
    private int _windowCount, _windowStart;
    private double _fullMass;
    private readonly Xoshiro256StarStar _rng = new(0);

    public Sampler(SamplingOptions options, int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        _options = options;
        _vocab = vocabSize;
        _work = new float[vocabSize];
        _cand = new int[vocabSize];
        _weight = new double[vocabSize];
        _counts = new int[vocabSize];
        _window = [];
        Reset(options);
    }

    public SamplingOptions Options => _options;

    private bool HasPenalties => _options.PenaltyWindow != 0 &&
        (_options.RepetitionPenalty != 1 || _options.PresencePenalty != 0 || _options.FrequencyPenalty != 0);

    /// <summary>Starts a new sequence with these settings: forgets the accepted tokens and seeds the generator with
    /// <see cref="SamplingOptions.Seed"/> (a random seed when null).</summary>
    public void Reset(SamplingOptions options)
    {
        _options = options;
        int cap = Math.Max(1, options.PenaltyWindow);
        if (_window.Length != cap) _window = new int[cap];
        Array.Clear(_counts);
        _history.Clear();
        _windowCount = 0;
        _windowStart = 0;
        _rng.Reseed(options.Seed ?? (ulong)Random.Shared.NextInt64());
    }

    /// <summary>Records a token (of the prompt or generated) for the penalties.</summary>
    public void Accept(int token)
    {
        if ((uint)token >= (uint)_vocab) throw new ArgumentOutOfRangeException(nameof(token));
        if (_options.PenaltyWindow == 0) return;
        if (_options.PenaltyWindow < 0)
        {
            _history.Add(token);
            _counts[token]++;
            return;
        }
        int cap = _window.Length;
        if (_windowCount == cap)
        {
            _counts[_window[_windowStart]]--;
            _window[_windowStart] = token;
            _windowStart = (_windowStart + 1) % cap;
        }
        else _window[(_windowStart + _windowCount++) % cap] = token;
        _counts[token]++;
    }

    /// <summary>Records the prompt for the penalties (llama.cpp's server does the same): only the tokens the window
    /// can still see.</summary>
    public void AcceptPrompt(ReadOnlySpan<int> prompt)
    {
        if (_options.PenaltyWindow == 0) return;
        if (_options.PenaltyWindow > 0 && prompt.Length > _options.PenaltyWindow) prompt = prompt[^_options.PenaltyWindow..];
        foreach (int t in prompt) Accept(t);
    }

    /// <summary>Applies the penalties to a copy of the logits: for each token seen in the window (count c),
    /// l = l &gt; 0 ? l / repeat : l * repeat (llama.cpp), then l -= c * frequency + presence (OpenAI).</summary>
    public ReadOnlySpan<float> ApplyPenalties(ReadOnlySpan<float> logits)
    {
        if (logits.Length != _vocab) throw new ArgumentException($"expected {_vocab} logits, got {logits.Length}", nameof(logits));
        logits.CopyTo(_work);
        if (!HasPenalties) return _work;
        float rep = _options.RepetitionPenalty, pres = _options.PresencePenalty, freq = _options.FrequencyPenalty;
        void Penalize(int t)
        {
            int c = _counts[t];
            if (c <= 0) return;
            float l = _work[t];
            if (rep != 1) l = l > 0 ? l / rep : l * rep;
            _work[t] = l - c * freq - pres;
            _counts[t] = -c; // mark as done (restored below) so repeated window entries are penalized once
        }
        void Restore(int t) { if (_counts[t] < 0) _counts[t] = -_counts[t]; }
        if (_options.PenaltyWindow < 0)
        {
            foreach (int t in _history) Penalize(t);
            foreach (int t in _history) Restore(t);
        }
        else
        {
            for (int i = 0; i < _windowCount; i++) Penalize(_window[(_windowStart + i) % _window.Length]);
            for (int i = 0; i < _windowCount; i++) Restore(_window[(_windowStart + i) % _window.Length]);
        }
        return _work;
    }

    public int Sample(ReadOnlySpan<float> logits) => Sample(logits, default, null);

    /// <summary>Draws the next token. <paramref name="banned"/>: ids that may not come out. <paramref name="constraint"/>:
    /// when it does not allow the draw, it masks the (penalized) logits and the draw is repeated. Throws
    /// <see cref="InvalidOperationException"/> when every token is banned or masked.</summary>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> banned, ITokenConstraint? constraint)
    {
        ApplyPenalties(logits);
        foreach (int t in banned) _work[t] = float.NegativeInfinity;
        int token = Draw();
        if (constraint is not null && !constraint.Allows(token))
        {
            constraint.Mask(_work);
            token = Draw();
        }
        if (float.IsNegativeInfinity(_work[token]))
            throw new InvalidOperationException("no token may come next: every candidate is banned or masked by the constraint");
        return token;
    }

    /// <summary>One draw from the chain over the logits in _work.</summary>
    private int Draw()
    {
        var l = _work.AsSpan();
        if (_options.Temperature <= 0) return ArgMax(l);

        int n = Candidates(l);
        // temperature -> sample (over the survivors, in their current order)
        double invT = 1.0 / _options.Temperature;
        float max = float.NegativeInfinity;
        for (int i = 0; i < n; i++) max = Math.Max(max, l[_cand[i]]);
        double total = 0;
        for (int i = 0; i < n; i++) total += _weight[i] = Math.Exp((l[_cand[i]] - max) * invT);
        double u = _rng.NextDouble() * total, acc = 0;
        for (int i = 0; i < n; i++)
        {
            acc += _weight[i];
            if (u < acc) return _cand[i];
        }
        return _cand[n - 1];
    }

    /// <summary>The tokens the chain may draw from for these logits (after penalties, top-k, top-p, min-p), written to
    /// destination (length at least the vocabulary size); returns their count. For tests and diagnostics.</summary>
    public int CandidateSet(ReadOnlySpan<float> logits, Span<int> destination)
    {
        ApplyPenalties(logits);
        int n = Candidates(_work);
        _cand.AsSpan(0, n).CopyTo(destination);
        return n;
    }

    /// <summary>The tokens that survive top-k, top-p and min-p (in _cand[0..n)), for the logits in _work.</summary>
    private int Candidates(ReadOnlySpan<float> l)
    {
        int k = _options.TopK;
        bool topP = _options.TopP < 1 && _options.TopP > 0, minP = _options.MinP > 0;
        int n;
        bool sorted = false;
        if (k > 0 && k < _vocab)
        {
            n = TopKIndices(l, k);
            sorted = true;
        }
        else if (topP)
        {
            n = TopPPrefilter(l, _options.TopP);
            SortDescending(l, n);
            sorted = true;
        }
        else
        {
            for (int i = 0; i < _vocab; i++) _cand[i] = i;
            n = _vocab;
        }

        if (topP)
        {
            if (!sorted) SortDescending(l, n);
            // Softmax over the current candidates (their probabilities at temperature 1), keep the shortest prefix
            // whose mass reaches p. The prefilter only removed tokens that cannot be in that prefix.
            float max = l[_cand[0]];
            double total = 0;
            for (int i = 0; i < n; i++) total += _weight[i] = Math.Exp(l[_cand[i]] - max);
            if (n < _vocab && !(k > 0 && k < _vocab)) total = _fullMass; // the prefilter's mass of the whole vocabulary
            double target = _options.TopP * total, acc = 0;
            int keep = n;
            for (int i = 0; i < n; i++)
            {
                acc += _weight[i];
                if (acc >= target) { keep = i + 1; break; }
            }
            n = Math.Max(1, keep);
        }

        if (minP)
        {
            float max = float.NegativeInfinity;
            for (int i = 0; i < n; i++) max = Math.Max(max, l[_cand[i]]);
            // p_i >= minP * p_max  <=>  l_i >= l_max + ln(minP)
            float threshold = max + MathF.Log(_options.MinP);
            int m = 0;
            for (int i = 0; i < n; i++)
                if (l[_cand[i]] >= threshold) _cand[m++] = _cand[i];
            n = Math.Max(1, m);
        }
        return n;
    }

    private double FullMass(ReadOnlySpan<float> l, float max)
    {
        double total = 0;
        for (int i = 0; i < _vocab; i++) total += Math.Exp(l[i] - max);
        return total;
    }

    /// <summary>Candidates that can be in the top-p set: every token with probability at least eps, where eps is lowered
    /// until the tokens below it together weigh less than 1 - p (so the top-p prefix ends among the kept ones). One pass
    /// of exp over the vocabulary (the mass, kept in _fullMass for the top-p cut); the eps test is a logit comparison.</summary>
    private int TopPPrefilter(ReadOnlySpan<float> l, float p)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < _vocab; i++) max = Math.Max(max, l[i]);
        double total = _fullMass = FullMass(l, max);
        for (double eps = 1e-3; ; eps *= 0.01)
        {
            // exp(l - max) >= eps * total  <=>  l >= max + ln(eps * total): a threshold on the logit, so the kept tokens
            // are a prefix of the sorted order.
            float cut = max + (float)Math.Log(eps * total);
            int n = 0;
            double kept = 0;
            for (int i = 0; i < _vocab; i++)
                if (l[i] >= cut) { _cand[n++] = i; kept += Math.Exp(l[i] - max); }
            if (kept >= p * total * (1 + 1e-12) || eps < 1e-30 || n == _vocab) return n;
        }
    }

    /// <summary>The k highest logits (ties: lower id first), sorted, into _cand[0..k). A min-heap over the vocabulary.</summary>
    private int TopKIndices(ReadOnlySpan<float> l, int k)
    {
        var heap = _cand.AsSpan(0, k);
        int size = 0;
        for (int i = 0; i < _vocab; i++)
        {
            if (size < k)
            {
                heap[size] = i;
                SiftUp(heap, size++, l);
            }
            else if (Better(l, i, heap[0]))
            {
                heap[0] = i;
                SiftDown(heap, 0, size, l);
            }
        }
        SortDescending(l, size);
        return size;
    }

    // "a ranks above b": higher logit, or equal logit and lower id.
    private static bool Better(ReadOnlySpan<float> l, int a, int b) => l[a] > l[b] || (l[a] == l[b] && a < b);

    private static void SiftUp(Span<int> h, int i, ReadOnlySpan<float> l)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Better(l, h[parent], h[i])) break; // min-heap on rank: parent must rank below child
            (h[parent], h[i]) = (h[i], h[parent]);
            i = parent;
        }
    }

    private static void SiftDown(Span<int> h, int i, int size, ReadOnlySpan<float> l)
    {
        while (true)
        {
            int a = 2 * i + 1, b = a + 1, worst = i;
            if (a < size && Better(l, h[worst], h[a])) worst = a;
            if (b < size && Better(l, h[worst], h[b])) worst = b;
            if (worst == i) return;
            (h[worst], h[i]) = (h[i], h[worst]);
            i = worst;
        }
    }

    /// <summary>Sorts _cand[0..n) best first (higher logit, then lower id): in-place heapsort (Span.Sort with a
    /// comparer would box it and allocate on every call).</summary>
    private void SortDescending(ReadOnlySpan<float> l, int n)
    {
        var a = _cand.AsSpan(0, n);
        // Build a min-heap on rank (root = worst), then repeatedly move the worst to the end: the result is best first.
        for (int i = n / 2 - 1; i >= 0; i--) SiftDown(a, i, n, l);
        for (int end = n - 1; end > 0; end--)
        {
            (a[0], a[end]) = (a[end], a[0]);
            SiftDown(a, 0, end, l);
        }
    }

    private static int ArgMax(ReadOnlySpan<float> l)
    {
        int best = 0;
        for (int i = 1; i < l.Length; i++) if (l[i] > l[best]) best = i;
        return best;
    }

    /// <summary>The n most likely tokens under the model's distribution (log-softmax of the raw logits, before penalties
    /// and temperature), most likely first; for the API's logprobs/top_logprobs.</summary>
    public (int Token, float LogProb)[] TopLogProbs(ReadOnlySpan<float> logits, int n)
    {
        if (logits.Length != _vocab) throw new ArgumentException($"expected {_vocab} logits, got {logits.Length}", nameof(logits));
        n = Math.Clamp(n, 0, _vocab);
        logits.CopyTo(_work);
        float max = float.NegativeInfinity;
        foreach (float x in logits) max = Math.Max(max, x);
        double total = 0;
        foreach (float x in logits) total += Math.Exp(x - max);
        float logZ = max + (float)Math.Log(total);
        if (n == 0) return [];
        int k = TopKIndices(_work, n);
        var result = new (int, float)[k];
        for (int i = 0; i < k; i++) result[i] = (_cand[i], _work[_cand[i]] - logZ);
        return result;
    }

    /// <summary>log p(token) under the model's distribution (log-softmax of the raw logits).</summary>
    public static float LogProb(ReadOnlySpan<float> logits, int token)
    {
        float max = float.NegativeInfinity;
        foreach (float x in logits) max = Math.Max(max, x);
        double total = 0;
        foreach (float x in logits) total += Math.Exp(x - max);
        return logits[token] - max - (float)Math.Log(total);
    }
}
