namespace R1Sharp.Inference.Batching;

/// <summary>
/// The sampler of one batching slot: penalties over the generated tokens (repetition as llama.cpp, presence and
/// frequency as OpenAI), then temperature, top-k, top-p and min-p, then a draw from its own seeded RNG; greedy
/// (argmax, first index on ties) at temperature 0. Scratch buffers are allocated once.
/// </summary>
public sealed class SlotSampler
{
    private readonly GenerationParameters _p;
    private readonly float _temperature, _topP, _minP, _repetition, _presence, _frequency;
    private readonly int _topK;
    private readonly Random _rng;
    private readonly float[] _work;
    private readonly int[] _order;
    private readonly float[] _keys;
    private readonly Dictionary<int, int> _counts = [];

    /// <summary>R1's recommended defaults for what a request leaves unset.</summary>
    public const float DefaultTemperature = 0.6f, DefaultTopP = 0.95f;

    public SlotSampler(GenerationParameters parameters, int vocabSize, ulong seed)
    {
        _p = parameters;
        _temperature = parameters.Temperature ?? DefaultTemperature;
        _topP = parameters.TopP ?? DefaultTopP;
        _topK = parameters.TopK ?? 0;
        _minP = parameters.MinP ?? 0;
        _repetition = parameters.RepetitionPenalty ?? 1;
        _presence = parameters.PresencePenalty ?? 0;
        _frequency = parameters.FrequencyPenalty ?? 0;
        _rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        _work = new float[vocabSize];
        _order = new int[vocabSize];
        _keys = new float[vocabSize];
    }

    public void Accept(int token) => _counts[token] = _counts.GetValueOrDefault(token) + 1;

    public int Sample(ReadOnlySpan<float> logits)
    {
        var x = _work.AsSpan(0, logits.Length);
        logits.CopyTo(x);
        foreach (var (token, seen) in _counts)
        {
            if ((uint)token >= (uint)x.Length) continue;
            if (_repetition != 1) x[token] = x[token] > 0 ? x[token] / _repetition : x[token] * _repetition;
            x[token] -= _presence + _frequency * seen;
        }
        if (_temperature <= 0) return ArgMax(x);

        // Candidates sorted by logit (descending), truncated by top-k. Tokens more than 30 temperature-scaled nats
        // below the best (relative probability < 1e-13) cannot matter and are left out of the sort.
        float best = float.NegativeInfinity;
        foreach (float v in x) if (v > best) best = v;
        float floor = best - 30 * _temperature;
        int n = 0;
        for (int i = 0; i < x.Length; i++)
            if (x[i] >= floor) { _order[n] = i; _keys[n] = -x[i]; n++; }
        var order = _order.AsSpan(0, n);
        _keys.AsSpan(0, n).Sort(order);
        int count = _topK > 0 ? Math.Min(_topK, n) : n;

        // Softmax at the temperature over the candidates.
        float max = x[order[0]];
        double sum = 0;
        var probs = new double[count];
        for (int i = 0; i < count; i++) { probs[i] = Math.Exp((x[order[i]] - max) / _temperature); sum += probs[i]; }
        for (int i = 0; i < count; i++) probs[i] /= sum;
        // min-p: drop tokens below min_p times the most likely one; top-p: smallest prefix with mass >= top_p.
        int keep = count;
        if (_minP > 0) { int k = 1; while (k < keep && probs[k] >= _minP * probs[0]) k++; keep = k; }
        if (_topP < 1) { double mass = 0; int k = 0; while (k < keep) { mass += probs[k++]; if (mass >= _topP) break; } keep = Math.Max(1, k); }
        double total = 0;
        for (int i = 0; i < keep; i++) total += probs[i];
        double r = _rng.NextDouble() * total;
        for (int i = 0; i < keep; i++)
        {
            r -= probs[i];
            if (r <= 0) return order[i];
        }
        return order[keep - 1];
    }

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    public GenerationParameters Parameters => _p;
}
