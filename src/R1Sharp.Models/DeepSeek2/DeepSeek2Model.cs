using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using R1Sharp.Models.Layers;
using R1Sharp.Numerics.Layers;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Models.DeepSeek2;

/// <summary>
/// llama.cpp's "deepseek2" architecture (DeepSeek-V2/V3/R1): Multi-head Latent Attention with a compressed KV cache
/// and weight absorption, DeepSeekMoE with shared experts, YaRN rope.
/// Attention per head h (absorbed): the cache holds c = norm(W_kv_a x)[:r] and k_pe = rope(W_kv_a x)[r:];
/// score(s) = scale * ((W_k,h^T q_nope,h) . c_s + q_pe,h . k_pe_s); out_h = W_v,h (sum_s p(s) c_s).
/// This equals the expanded computation (k_nope = W_k c, v = W_v c) without ever materializing per-head keys/values.
/// </summary>
internal sealed unsafe class DeepSeek2Model : ILanguageModel
{
    private readonly GgufFile _file;
    private readonly DeepSeek2Layer[] _layers = [];
    private readonly WeightMatrix _tokenEmbedding = null!;
    private readonly float[] _outputNorm = [];
    private readonly WeightMatrix _output = null!;
    private readonly ExpertRouter? _router;
    private readonly List<NativeBuffer> _owned = [];
    private readonly WeightArena? _arena; // the multiplied weights laid out for the kernels (null: computed from the file map)
    private readonly ModelLoadOptions _options;
    private readonly ComputePool _pool;
    private readonly MatMul _matmul;
    private readonly object _gate = new();
    private Scratch? _scratch;
    private bool _disposed;

    public ModelConfig Config { get; }
    public DeepSeek2Config Hyper { get; }

    private DeepSeek2Model(GgufFile file, ModelLoadOptions options)
    {
        _file = file;
        _options = options;
        var c = Hyper = DeepSeek2Config.FromGguf(file);
        Config = c.ToModelConfig(file.GetString("general.name"));

        _pool = options.CreatePool();
        _matmul = new MatMul(_pool);
        _arena = options.Mmap ? null : new WeightArena();
        try
        {
            _tokenEmbedding = Matrix("token_embd.weight", c.EmbeddingLength, c.VocabSize);
            _outputNorm = Vector("output_norm.weight", c.EmbeddingLength);
            _output = file.TryGetTensor("output.weight", out _) ? Place(Matrix("output.weight", c.EmbeddingLength, c.VocabSize))
                : (_tokenEmbedding = Place(_tokenEmbedding));
            _layers = new DeepSeek2Layer[c.LayerCount];
            for (int i = 0; i < c.LayerCount; i++) _layers[i] = LoadLayer(i);
        }
        catch
        {
            _arena?.Dispose();
            _matmul.Dispose();
            _pool.Dispose();
            throw;
        }
        if (c.ExpertCount > 0)
            _router = new ExpertRouter(c.ExpertCount, c.ExpertsUsed, c.GatingFunction, c.ExpertWeightsNorm, c.ExpertWeightsScale,
                                       c.ExpertGroups, c.ExpertGroupsUsed);
    }

    public static DeepSeek2Model Load(GgufFile file, ModelLoadOptions? options = null)
    {
        return new DeepSeek2Model(file, options ?? new ModelLoadOptions());
    }

    public ISequenceState CreateSequence(int capacity) => new DeepSeek2Sequence(this, Hyper, capacity);

    // ---------------------------------------------------------------- loading

    private WeightMatrix Matrix(string name, int cols, int? rows)
    {
        if (!_file.TryGetTensor(name, out var t)) throw new ModelFormatException(_file.Path, $"tensor '{name}' is missing");
        if (t.RowLength != cols || (rows is int r && t.Rows != r))
            throw new ModelFormatException(_file.Path, $"tensor '{name}' has shape [{string.Join(", ", t.Dimensions)}], expected rows of {cols}" + (rows is int rr ? $" x {rr}" : ""));
        return WeightMatrix.FromGguf(_file, t);
    }

    /// <summary>The matrix copied into the arena in the kernels' layout (tiles never straddle the row groups, e.g. experts).</summary>
    private WeightMatrix Place(WeightMatrix m, int rowGroup = RowTiles.Rows) => _arena == null ? m : _arena.Place(m, _pool, rowGroup);

    private float[] Vector(string name, int length)
    {
        if (!_file.TryGetTensor(name, out var t)) throw new ModelFormatException(_file.Path, $"tensor '{name}' is missing");
        if (t.ElementCount != length) throw new ModelFormatException(_file.Path, $"tensor '{name}' has {t.ElementCount} values, expected {length}");
        var m = WeightMatrix.FromGguf(_file, t);
        var v = GC.AllocateArray<float>(length, pinned: true);   // pinned: kernels take its address
        m.DequantizeRow(0, v);
        return v;
    }

    private DeepSeek2Layer LoadLayer(int i)
    {
        var c = Hyper;
        string p = $"blk.{i}.";
        int E = c.EmbeddingLength, H = c.HeadCount, r = c.KvLoraRank, nope = c.NopeDims, dv = c.ValueLength;

        WeightMatrix? qa = null; float[]? qaNorm = null; WeightMatrix qb;
        if (c.QLoraRank > 0)
        {
            qa = Matrix(p + "attn_q_a.weight", E, c.QLoraRank);
            qaNorm = Vector(p + "attn_q_a_norm.weight", c.QLoraRank);
            qb = Matrix(p + "attn_q_b.weight", c.QLoraRank, H * c.KeyLength);
        }
        else qb = Matrix(p + "attn_q.weight", E, H * c.KeyLength);

        // MLA up-projections as float32 per-head blocks (small next to the experts): KB[h] = W_k,h^T [r, nope], VB[h] = W_v,h [dv, r].
        var kb = new NativeBuffer((long)H * r * nope);
        var vb = new NativeBuffer((long)H * dv * r);
        _owned.Add(kb);
        _owned.Add(vb);
        if (_file.TryGetTensor(p + "attn_k_b.weight", out _))
        {
            // split layout: attn_k_b [nope, r, H] (per head r rows of nope = W_k^T), attn_v_b [r, dv, H] (per head dv rows of r)
            var k = Matrix(p + "attn_k_b.weight", nope, r * H);
            var v = Matrix(p + "attn_v_b.weight", r, dv * H);
            for (int row = 0; row < r * H; row++) k.DequantizeRow(row, new Span<float>(kb.Data + (long)row * nope, nope));
            for (int row = 0; row < dv * H; row++) v.DequantizeRow(row, new Span<float>(vb.Data + (long)row * r, r));
        }
        else
        {
            // attn_kv_b [r, H*(nope+dv)]: per head nope rows of W_k then dv rows of W_v; W_k is transposed.
            var kv = Matrix(p + "attn_kv_b.weight", r, H * (nope + dv));
            var row = new float[r];
            for (int h = 0; h < H; h++)
            {
                float* dst = kb.Data + (long)h * r * nope;
                for (int j = 0; j < nope; j++)
                {
                    kv.DequantizeRow(h * (nope + dv) + j, row);
                    for (int q = 0; q < r; q++) dst[(long)q * nope + j] = row[q];
                }
                for (int d = 0; d < dv; d++)
                    kv.DequantizeRow(h * (nope + dv) + nope + d, new Span<float>(vb.Data + ((long)h * dv + d) * r, r));
            }
        }

        bool moe = i >= c.LeadingDenseLayers && c.ExpertCount > 0;
        var layer = new DeepSeek2Layer
        {
            AttnNorm = Vector(p + "attn_norm.weight", E),
            QA = qa == null ? null : Place(qa),
            QANorm = qaNorm,
            QB = Place(qb),
            KvA = Place(Matrix(p + "attn_kv_a_mqa.weight", E, r + c.RopeDims)),
            KvANorm = Vector(p + "attn_kv_a_norm.weight", r),
            KB = kb,
            VB = vb,
            AttnOutput = Place(Matrix(p + "attn_output.weight", H * dv, E)),
            FfnNorm = Vector(p + "ffn_norm.weight", E),
            Gate = moe ? null : Place(Matrix(p + "ffn_gate.weight", E, c.FeedForwardLength)),
            Up = moe ? null : Place(Matrix(p + "ffn_up.weight", E, c.FeedForwardLength)),
            Down = moe ? null : Place(Matrix(p + "ffn_down.weight", c.FeedForwardLength, E)),
            Router = moe ? Place(Matrix(p + "ffn_gate_inp.weight", E, c.ExpertCount)) : null,
            RouterBias = moe && _file.TryGetTensor(p + "exp_probs_b.bias", out _) ? Vector(p + "exp_probs_b.bias", c.ExpertCount) : null,
            ExpertGate = moe ? Experts(p + "ffn_gate_exps.weight", E, c.ExpertFeedForwardLength) : null,
            ExpertUp = moe ? Experts(p + "ffn_up_exps.weight", E, c.ExpertFeedForwardLength) : null,
            ExpertDown = moe ? Experts(p + "ffn_down_exps.weight", c.ExpertFeedForwardLength, E) : null,
            SharedGate = moe && c.SharedExperts > 0 ? Place(Matrix(p + "ffn_gate_shexp.weight", E, c.ExpertFeedForwardLength * c.SharedExperts)) : null,
            SharedUp = moe && c.SharedExperts > 0 ? Place(Matrix(p + "ffn_up_shexp.weight", E, c.ExpertFeedForwardLength * c.SharedExperts)) : null,
            SharedDown = moe && c.SharedExperts > 0 ? Place(Matrix(p + "ffn_down_shexp.weight", c.ExpertFeedForwardLength * c.SharedExperts, E)) : null,
        };
        return layer;
    }

    private WeightMatrix[] Experts(string name, int cols, int rowsPerExpert)
    {
        var all = Place(Matrix(name, cols, rowsPerExpert * Hyper.ExpertCount), rowsPerExpert);
        var result = new WeightMatrix[Hyper.ExpertCount];
        for (int e = 0; e < result.Length; e++) result[e] = all.Slice(e * rowsPerExpert, rowsPerExpert);
        return result;
    }

    // ---------------------------------------------------------------- forward

    /// <summary>Work buffers for a batch of up to Capacity tokens; grown when a larger batch or context arrives.</summary>
    private sealed class Scratch : IDisposable
    {
        public int Tokens;
        public NativeBuffer X = null!, H = null!, QA = null!, Q = null!, KvA = null!, Query = null!, Latent = null!,
            Attn = null!, Ffn1 = null!, Ffn2 = null!, Gathered = null!, ExpertOut = null!, Norm = null!;
        public float[] RouterLogits = [];
        public int[] Chosen = [];
        public float[] ChosenWeights = [];
        public int[] Positions = [];
        public DeepSeek2Sequence[] Owner = [];
        public float[] Cos = [], Sin = [];

        public void Dispose()
        {
            foreach (var b in new[] { X, H, QA, Q, KvA, Query, Latent, Attn, Ffn1, Ffn2, Gathered, ExpertOut, Norm })
                b?.Dispose();
        }
    }

    private Scratch Ensure(int tokens)
    {
        if (_scratch is { } s && s.Tokens >= tokens) return s;
        _scratch?.Dispose();
        var c = Hyper;
        tokens = Math.Max(tokens, _scratch?.Tokens ?? 0);
        int H = c.HeadCount, r = c.KvLoraRank, E = c.EmbeddingLength;
        int ff = Math.Max(c.FeedForwardLength, Math.Max(c.ExpertFeedForwardLength * Math.Max(1, c.SharedExperts), c.ExpertFeedForwardLength));
        s = new Scratch
        {
            Tokens = tokens,
            X = new NativeBuffer((long)tokens * E),
            H = new NativeBuffer((long)tokens * E),
            Norm = new NativeBuffer((long)tokens * E),
            QA = new NativeBuffer((long)tokens * Math.Max(1, c.QLoraRank)),
            Q = new NativeBuffer((long)tokens * H * c.KeyLength),
            KvA = new NativeBuffer((long)tokens * (r + c.RopeDims)),
            Query = new NativeBuffer((long)tokens * H * (r + c.RopeDims)),
            Latent = new NativeBuffer((long)H * r),
            Attn = new NativeBuffer((long)tokens * H * c.ValueLength),
            Ffn1 = new NativeBuffer((long)tokens * ff),
            Ffn2 = new NativeBuffer((long)tokens * ff),
            Gathered = new NativeBuffer((long)tokens * E),
            ExpertOut = new NativeBuffer((long)tokens * E),
            RouterLogits = GC.AllocateArray<float>(tokens * Math.Max(1, c.ExpertCount), pinned: true),
            Chosen = new int[tokens * Math.Max(1, c.ExpertsUsed)],
            ChosenWeights = new float[tokens * Math.Max(1, c.ExpertsUsed)],
            Positions = new int[tokens],
            Owner = new DeepSeek2Sequence[tokens],
            Cos = GC.AllocateArray<float>(tokens * c.RopeDims / 2, pinned: true),
            Sin = GC.AllocateArray<float>(tokens * c.RopeDims / 2, pinned: true),
        };
        _scratch = s;
        return s;
    }

    public void Forward(IReadOnlyList<ForwardItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ForwardLocked(items);
        }
    }

    private void ForwardLocked(IReadOnlyList<ForwardItem> items)
    {
        int total = 0;
        foreach (var item in items)
        {
            if (item.Sequence is not DeepSeek2Sequence seq || seq.Owner != this)
                throw new ArgumentException("sequence was not created by this model");
            if (item.Tokens.Length == 0) throw new ArgumentException("an item has no tokens");
            if (seq.Length + item.Tokens.Length > seq.Capacity)
                throw new InvalidOperationException($"sequence capacity {seq.Capacity} exceeded ({seq.Length} + {item.Tokens.Length} tokens)");
            int need = item.AllLogits ? item.Tokens.Length * Config.VocabSize : Config.VocabSize;
            if (item.Logits.Length < need) throw new ArgumentException($"logits buffer holds {item.Logits.Length} values, {need} needed");
            foreach (int t in item.Tokens.Span)
                if ((uint)t >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(items), $"token id {t} is outside the vocabulary (0..{Config.VocabSize - 1})");
            total += item.Tokens.Length;
        }
        if (total == 0) return;
        var s = Ensure(total);
        var c = Hyper;
        int E = c.EmbeddingLength;

        // flatten: token n belongs to Owner[n] at Positions[n]
        int n0 = 0;
        foreach (var item in items)
        {
            var seq = (DeepSeek2Sequence)item.Sequence;
            var toks = item.Tokens.Span;
            for (int t = 0; t < toks.Length; t++, n0++)
            {
                s.Owner[n0] = seq;
                s.Positions[n0] = seq.Length + t;
                _tokenEmbedding.DequantizeRow(toks[t], new Span<float>(s.X.Data + (long)n0 * E, E));
                c.Rope.Table(seq.Length + t, s.Cos.AsSpan(n0 * c.RopeDims / 2, c.RopeDims / 2), s.Sin.AsSpan(n0 * c.RopeDims / 2, c.RopeDims / 2));
            }
        }

        for (int l = 0; l < _layers.Length; l++) Layer(l, _layers[l], s, total);

        // logits for the requested rows
        RmsNorm.Forward(s.X.Data, Pin(_outputNorm), s.H.Data, total, E, c.RmsEpsilon);
        int n = 0;
        foreach (var item in items)
        {
            int count = item.Tokens.Length;
            var seq = (DeepSeek2Sequence)item.Sequence;
            using var pin = item.Logits.Pin();
            if (item.AllLogits)
                _matmul.Forward(_output, s.H.Data + (long)n * E, (float*)pin.Pointer, count);
            else
                _matmul.Forward(_output, s.H.Data + (long)(n + count - 1) * E, (float*)pin.Pointer, 1);
            seq.Length += count;
            n += count;
        }
    }

    /// <summary>Address of a pinned (POH) array.</summary>
    private static float* Pin(float[] a) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(a));

    private void Layer(int l, DeepSeek2Layer w, Scratch s, int N)
    {
        var c = Hyper;
        int E = c.EmbeddingLength, H = c.HeadCount, r = c.KvLoraRank, R = c.RopeDims, nope = c.NopeDims, DK = c.KeyLength, DV = c.ValueLength;
        int rowWidth = r + R;
        float eps = c.RmsEpsilon;

        // ---- attention
        RmsNorm.Forward(s.X.Data, Pin(w.AttnNorm), s.H.Data, N, E, eps);
        if (w.QA is { } qa)
        {
            _matmul.Forward(qa, s.H.Data, s.QA.Data, N);
            RmsNorm.Forward(s.QA.Data, Pin(w.QANorm!), s.QA.Data, N, c.QLoraRank, eps);
            _matmul.Forward(w.QB, s.QA.Data, s.Q.Data, N);
        }
        else _matmul.Forward(w.QB, s.H.Data, s.Q.Data, N);
        _matmul.Forward(w.KvA, s.H.Data, s.KvA.Data, N);

        // cache rows: [norm(latent) | rope(k_pe)]; rope on each head's q_pe
        for (int n = 0; n < N; n++)
        {
            float* cos = Pin(s.Cos) + n * R / 2, sin = Pin(s.Sin) + n * R / 2;
            float* kv = s.KvA.Data + (long)n * rowWidth;
            float* row = s.Owner[n].Row(l, s.Positions[n]);
            RmsNorm.Forward(kv, Pin(w.KvANorm), row, 1, r, eps);
            Buffer.MemoryCopy(kv + r, row + r, R * sizeof(float), R * sizeof(float));
            Rope.Forward(row + r, 1, R, R, neox: false, cos, sin);
            Rope.Forward(s.Q.Data + (long)n * H * DK + nope, H, DK, R, neox: false, cos, sin);
        }

        // MLA: absorbed queries (parallel over heads); attention of all heads over the one latent cache they share
        // (GroupedAttention items: tokens x ranges of positions, the cache streamed once per item for all heads); each
        // head's ranges merged and W_v applied (parallel over heads)
        _headLayer = l; _headWeights = w; _headScratch = s; _headTokens = N;
        _pool.For(H, _absorbTask);
        PlanAttention(s, N);
        if (_plan.Tasks == 1) AttentionTask(0);
        else _pool.For(_plan.Tasks, _attentionTask);
        _pool.For(H, _valueTask);
        _headWeights = null; _headScratch = null;
        _matmul.Forward(w.AttnOutput, s.Attn.Data, s.H.Data, N);
        Add(s.X.Data, s.H.Data, (long)N * E);

        // ---- feed-forward
        RmsNorm.Forward(s.X.Data, Pin(w.FfnNorm), s.Norm.Data, N, E, eps);
        if (!w.IsMoe)
        {
            SwiGlu(w.Gate!, w.Up!, w.Down!, s.Norm.Data, s.H.Data, N, s);
            Add(s.X.Data, s.H.Data, (long)N * E);
            return;
        }

        // routing
        int nExp = c.ExpertCount, k = c.ExpertsUsed;
        fixed (float* logits = s.RouterLogits)
            _matmul.Forward(w.Router!, s.Norm.Data, logits, N);
        for (int n = 0; n < N; n++)
            _router!.Route(s.RouterLogits.AsSpan(n * nExp, nExp), w.RouterBias, s.Chosen.AsSpan(n * k, k), s.ChosenWeights.AsSpan(n * k, k));

        // routed experts: gather the tokens that chose expert e, run it once over them, scatter-add weighted
        for (int e = 0; e < nExp; e++)
        {
            int m = 0;
            for (int n = 0; n < N; n++)
                for (int j = 0; j < k; j++)
                    if (s.Chosen[n * k + j] == e)
                    {
                        Buffer.MemoryCopy(s.Norm.Data + (long)n * E, s.Gathered.Data + (long)m * E, E * sizeof(float), E * sizeof(float));
                        m++;
                    }
            if (m == 0) continue;
            SwiGlu(w.ExpertGate![e], w.ExpertUp![e], w.ExpertDown![e], s.Gathered.Data, s.ExpertOut.Data, m, s);
            m = 0;
            for (int n = 0; n < N; n++)
                for (int j = 0; j < k; j++)
                    if (s.Chosen[n * k + j] == e)
                    {
                        VectorMath.Axpy(s.ChosenWeights[n * k + j], s.ExpertOut.Data + (long)m * E, s.X.Data + (long)n * E, E);
                        m++;
                    }
        }
        if (w.SharedGate is { } sg)
        {
            SwiGlu(sg, w.SharedUp!, w.SharedDown!, s.Norm.Data, s.H.Data, N, s);
            Add(s.X.Data, s.H.Data, (long)N * E);
        }
    }

    private int _headLayer, _headTokens;
    private DeepSeek2Layer? _headWeights;
    private Scratch? _headScratch;
    private readonly AttentionPlan _plan = new();
    private NativeBuffer? _attnScratch, _partials;
    private Action<int>? _absorbTaskCache, _attentionTaskCache, _valueTaskCache;
    private Action<int> _absorbTask => _absorbTaskCache ??= AbsorbTask;
    private Action<int> _attentionTask => _attentionTaskCache ??= AttentionTask;
    private Action<int> _valueTask => _valueTaskCache ??= ValueTask;

    /// <summary>Head h's absorbed query for every token n of the step: Query[n, h] = [W_k,h^T q_nope (r) | q_pe (R)].</summary>
    private void AbsorbTask(int h)
    {
        var c = Hyper;
        var w = _headWeights!;
        var s = _headScratch!;
        int H = c.HeadCount, r = c.KvLoraRank, R = c.RopeDims, nope = c.NopeDims, DK = c.KeyLength, rowWidth = r + R;
        float* kb = w.KB.Data + (long)h * r * nope;
        for (int n = 0; n < _headTokens; n++)
        {
            float* q = s.Q.Data + (long)n * H * DK + (long)h * DK;
            float* query = s.Query.Data + ((long)n * H + h) * rowWidth;
            for (int i = 0; i < r; i++) query[i] = VectorMath.Dot(kb + (long)i * nope, q, nope);
            Buffer.MemoryCopy(q + nope, query + r, R * sizeof(float), R * sizeof(float));
        }
    }

    /// <summary>Work items and buffers of the step's attention over the latent cache (one KV group: all heads).</summary>
    private void PlanAttention(Scratch s, int n)
    {
        var c = Hyper;
        int H = c.HeadCount, r = c.KvLoraRank, rowWidth = r + c.RopeDims;
        long work = 0;
        for (int t = 0; t < n; t++) work += (long)(s.Positions[t] + 1) * H * (rowWidth + r);
        _plan.Plan(s.Positions, n, 1, _pool.Threads, work);
        long partials = (long)_plan.Items * H * GroupedAttention.PartialFloats(r);
        if (_partials == null || _partials.Length < partials)
        {
            _partials?.Dispose();
            _partials = new NativeBuffer(Math.Max(partials, 2 * (_partials?.Length ?? 0)));
        }
        long scratch = (long)Math.Max(_plan.Tasks, 4 * _pool.Threads) * GroupedAttention.ScratchFloats(H, rowWidth, r);
        if (_attnScratch == null || _attnScratch.Length < scratch)
        {
            _attnScratch?.Dispose();
            _attnScratch = new NativeBuffer(scratch);
        }
    }

    /// <summary>Items task, task + tasks, ...: softmax(scale * Query[n, h] . cache) . cache[:, :r] over the item's
    /// range of positions, for all heads (keys are the whole cache rows, values their first r values).</summary>
    private void AttentionTask(int task)
    {
        var c = Hyper;
        var s = _headScratch!;
        int H = c.HeadCount, r = c.KvLoraRank, rowWidth = r + c.RopeDims, rec = GroupedAttention.PartialFloats(r);
        float* scratch = _attnScratch!.Data + (long)task * GroupedAttention.ScratchFloats(H, rowWidth, r);
        for (int i = task; i < _plan.Items; i += _plan.Tasks)
        {
            int n = _plan.Row(i);
            byte* cache = (byte*)s.Owner[n].Row(_headLayer, 0);
            GroupedAttention.Partial(GgmlType.F32, s.Query.Data + (long)n * H * rowWidth, rowWidth, H, cache, rowWidth, cache, rowWidth,
                _plan.Start(i), _plan.End(i), rowWidth, r, c.AttentionScale, scratch, _partials!.Data + (long)i * H * rec);
        }
    }

    /// <summary>Head h for every token n: latent = its ranges merged; Attn[n, h*DV ..] = W_v,h latent (Latent[h] is the
    /// head's private scratch).</summary>
    private void ValueTask(int h)
    {
        var c = Hyper;
        var w = _headWeights!;
        var s = _headScratch!;
        int H = c.HeadCount, r = c.KvLoraRank, DV = c.ValueLength, rec = GroupedAttention.PartialFloats(r);
        float* vb = w.VB.Data + (long)h * DV * r;
        float* latent = s.Latent.Data + (long)h * r;
        for (int n = 0; n < _headTokens; n++)
        {
            GroupedAttention.Merge(_partials!.Data + ((long)_plan.First(n) * H + h) * rec, _plan.Ranges(n), (long)H * rec, r, latent);
            float* o = s.Attn.Data + (long)n * H * DV + (long)h * DV;
            for (int d = 0; d < DV; d++) o[d] = VectorMath.Dot(vb + (long)d * r, latent, r);
        }
    }

    /// <summary>y[N, E] = down(silu(gate x) * up x), x: [N, E].</summary>
    private void SwiGlu(WeightMatrix gate, WeightMatrix up, WeightMatrix down, float* x, float* y, int N, Scratch s)
    {
        _matmul.Forward(gate, x, s.Ffn1.Data, N);
        _matmul.Forward(up, x, s.Ffn2.Data, N);
        R1Sharp.Numerics.Layers.SwiGlu.Forward(s.Ffn1.Data, s.Ffn2.Data, s.Ffn1.Data, (long)N * gate.Rows);
        _matmul.Forward(down, s.Ffn1.Data, y, N);
    }

    private static void Add(float* x, float* y, long n)
    {
        for (long i = 0; i < n; i += int.MaxValue / 2)
        {
            int len = (int)Math.Min(int.MaxValue / 2, n - i);
            System.Numerics.Tensors.TensorPrimitives.Add(new ReadOnlySpan<float>(x + i, len), new ReadOnlySpan<float>(y + i, len), new Span<float>(x + i, len));
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _scratch?.Dispose();
            _attnScratch?.Dispose();
            _partials?.Dispose();
            foreach (var b in _owned) b.Dispose();
            _arena?.Dispose();
            _matmul.Dispose();
            _pool.Dispose();
        }
    }
}
