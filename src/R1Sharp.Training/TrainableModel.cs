using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using R1Sharp.Training.Kernels;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics.Layers;
using R1Sharp.Models;

namespace R1Sharp.Training;

/// <summary>
/// A dense qwen2/llama-layout transformer for training, llm.c style: parameters, gradients and activations
/// each live in one slab carved into named tensors (parameters and gradients use llama.cpp's GGUF tensor names
/// and dims), the forward pass keeps what the hand-written backward pass needs, and nothing is allocated per step
/// once the activations have been sized for the largest batch.
/// A batch is B rows of T tokens; every row is its own sequence (positions 0..T-1, no attention across rows).
/// </summary>
public sealed unsafe class TrainableModel : IDisposable
{
    private sealed class Layer
    {
        public required SlabTensor AttnNorm, Q, K, V, O, FfnNorm, Gate, Up, Down;
        public SlabTensor? QBias, KBias, VBias;
    }

    private sealed class LayerActs
    {
        public required SlabTensor Resid, Ln1, Rstd1, Q, K, V, Att, AttY, Resid2, Ln2, Rstd2, Gate, Up, H;
    }

    private readonly ComputePool _pool;
    private readonly Layer[] _layers, _gradLayers;
    private LayerActs[] _acts = [];
    private TensorSlab? _activations;
    private SlabTensor _final = null!, _lnf = null!, _rstdf = null!, _logits = null!, _rowLosses = null!;
    private SlabTensor _dResid = null!, _dLn = null!, _dQ = null!, _dK = null!, _dV = null!, _dAttY = null!, _dGate = null!, _dUp = null!, _dH = null!, _attScratch = null!, _wT = null!;
    private float* _ropeCos, _ropeSin; // [ContextLength, head/2] angles per position
    private int* _tokens, _targets;
    private float* _weights;
    private int _b, _t; // shape of the last forward pass

    /// <summary>When set, wall time per kernel family is added to it (benchmarks).</summary>
    public KernelProfile? Profile { get; set; }

    public ModelConfig Config { get; }
    /// <summary>Number of trained values (the parameter slab without its alignment padding).</summary>
    public long ParameterCount => Parameters.Tensors.Sum(t => t.Length);
    /// <summary>The threads the model's kernels run on (objectives computed outside the model use them too).</summary>
    public ComputePool Pool => _pool;
    public TensorSlab Parameters { get; }
    public TensorSlab Gradients { get; }
    public int MaxBatch { get; private set; }
    public int MaxSeq { get; private set; }

    /// <param name="withGradients">false for a frozen model that only runs forward passes (GRPO's old and reference
    /// models): no gradient memory; <see cref="Backward"/> then throws.</param>
    public TrainableModel(ModelConfig config, ComputePool pool, bool withGradients = true)
    {
        CheckTrainable(config);
        Config = config;
        _pool = pool;
        Parameters = new TensorSlab();
        Gradients = new TensorSlab();
        _layers = Carve(Parameters);
        _gradLayers = Carve(Gradients);
        Parameters.Allocate();
        if (withGradients) Gradients.Allocate();
        int half = config.KeyLength / 2;
        _ropeCos = (float*)NativeMemory.AlignedAlloc((nuint)((long)config.ContextLength * half * sizeof(float)), 64);
        _ropeSin = (float*)NativeMemory.AlignedAlloc((nuint)((long)config.ContextLength * half * sizeof(float)), 64);
        for (int pos = 0; pos < config.ContextLength; pos++)
            Rope.Angles(pos, config.KeyLength, config.RopeFreqBase, 1f, null, _ropeCos + (long)pos * half, _ropeSin + (long)pos * half);
    }

    /// <summary>Throws <see cref="ArgumentException"/> with a clear message if training cannot build the configuration:
    /// the dense qwen2/llama layout with heads of embedding / heads, fully rotated, without rope scaling.</summary>
    internal static void CheckTrainable(ModelConfig c)
    {
        if (c.Architecture is not ("qwen2" or "llama"))
            throw new ArgumentException($"architecture '{c.Architecture}' is not supported for training (qwen2 or llama)");
        if (c.VocabSize <= 0 || c.EmbeddingLength <= 0 || c.LayerCount <= 0 || c.HeadCount <= 0 || c.HeadCountKv <= 0 || c.FeedForwardLength <= 0 || c.ContextLength <= 1)
            throw new ArgumentException("vocab_size, embedding_length, block_count, head_count, head_count_kv, feed_forward_length must be positive and context_length > 1");
        if (c.EmbeddingLength % c.HeadCount != 0)
            throw new ArgumentException($"embedding_length {c.EmbeddingLength} is not a multiple of head_count {c.HeadCount}");
        if (c.HeadCount % c.HeadCountKv != 0)
            throw new ArgumentException($"head_count {c.HeadCount} is not a multiple of head_count_kv {c.HeadCountKv}");
        int head = c.EmbeddingLength / c.HeadCount;
        if (c.KeyLength != head || c.ValueLength != head)
            throw new ArgumentException($"key/value length {c.KeyLength}/{c.ValueLength} != embedding_length / head_count {head} is not supported for training");
        if (c.RopeDimensionCount != head)
            throw new ArgumentException($"partial rotary embeddings (rope.dimension_count {c.RopeDimensionCount} != head dim {head}) are not supported for training");
        if (head % 2 != 0)
            throw new ArgumentException($"head dimension {head} must be even for rotary embeddings");
        if (c.RopeFreqScale != 1)
            throw new ArgumentException("rope scaling is not supported for training");
        if (c.RopeStyle != ModelConfig.RopeStyleFor(c.Architecture))
            throw new ArgumentException($"rope style {c.RopeStyle} is not {c.Architecture}'s");
        if (!(c.RmsEpsilon > 0) || !(c.RopeFreqBase > 1))
            throw new ArgumentException("rms_eps must be > 0 and rope_freq_base > 1");
    }

    /// <summary>Parameter tensors in the order llama.cpp writes them.</summary>
    private Layer[] Carve(TensorSlab s)
    {
        var sh = Config;
        long c = sh.EmbeddingLength;
        s.Add("token_embd.weight", c, sh.VocabSize);
        s.Add("output_norm.weight", c);
        if (!sh.TiedOutput) s.Add("output.weight", c, sh.VocabSize);
        var layers = new Layer[sh.LayerCount];
        for (int l = 0; l < sh.LayerCount; l++)
        {
            string p = $"blk.{l}.";
            var attnNorm = s.Add(p + "attn_norm.weight", c);
            var q = s.Add(p + "attn_q.weight", c, sh.QueryDim);
            var k = s.Add(p + "attn_k.weight", c, sh.KeyDim);
            var v = s.Add(p + "attn_v.weight", c, sh.KeyDim);
            SlabTensor? qb = null, kb = null, vb = null;
            if (sh.QkvBias)
            {
                qb = s.Add(p + "attn_q.bias", sh.QueryDim);
                kb = s.Add(p + "attn_k.bias", sh.KeyDim);
                vb = s.Add(p + "attn_v.bias", sh.KeyDim);
            }
            var o = s.Add(p + "attn_output.weight", sh.QueryDim, c);
            var ffnNorm = s.Add(p + "ffn_norm.weight", c);
            var gate = s.Add(p + "ffn_gate.weight", c, sh.FeedForwardLength);
            var up = s.Add(p + "ffn_up.weight", c, sh.FeedForwardLength);
            var down = s.Add(p + "ffn_down.weight", sh.FeedForwardLength, c);
            layers[l] = new Layer { AttnNorm = attnNorm, Q = q, K = k, V = v, QBias = qb, KBias = kb, VBias = vb, O = o, FfnNorm = ffnNorm, Gate = gate, Up = up, Down = down };
        }
        return layers;
    }

    /// <summary>
    /// An inference model (for <c>BatchingEngine</c>: GRPO's rollouts) that computes on this model's parameters in
    /// place, without a copy or a file: after an optimizer step its next forward pass sees the new values (call the
    /// engine's <c>WeightsChanged</c> so it reuses no KV cached with the old ones). It runs on this model's
    /// <see cref="Pool"/> and must be disposed before this model.
    /// </summary>
    public ILanguageModel CreateInferenceModel(int maxBatchTokens = 512)
    {
        var tensors = Parameters.Tensors.ToDictionary(t => t.Name, t => new Float32Tensor((nint)t.Data, t.Dims), StringComparer.Ordinal);
        return ModelLoader.OverFloat32(Config, tensors, _pool, maxBatchTokens);
    }

    private float* OutputWeight => Config.TiedOutput ? Parameters["token_embd.weight"].Data : Parameters["output.weight"].Data;
    private float* OutputGrad => Config.TiedOutput ? Gradients["token_embd.weight"].Data : Gradients["output.weight"].Data;

    /// <summary>Token ids of the batch, row-major [B, T] (fill before <see cref="Forward"/>).</summary>
    public Span<int> Tokens => new(_tokens, MaxBatch * MaxSeq);
    /// <summary>Target ids [B, T] (any valid id where the weight is 0).</summary>
    public Span<int> Targets => new(_targets, MaxBatch * MaxSeq);
    /// <summary>Per-position loss weights [B, T] (0 = not trained on).</summary>
    public Span<float> Weights => new(_weights, MaxBatch * MaxSeq);
    /// <summary>Logits of the last forward pass [B*T, V]; before <see cref="Backward"/> they must hold d loss / d logits
    /// (written by <see cref="Loss"/> when asked, or by another objective such as GRPO's).</summary>
    public Span<float> Logits => new(_logits.Data, _b * _t * Config.VocabSize);

    /// <summary>Sizes the activations for batches up to <paramref name="batch"/> x <paramref name="seq"/> (allocates only when growing).</summary>
    public void EnsureCapacity(int batch, int seq)
    {
        if (seq > Config.ContextLength) throw new ArgumentException($"sequence of {seq} tokens is longer than the context ({Config.ContextLength})");
        if (batch <= MaxBatch && seq <= MaxSeq) return;
        batch = Math.Max(batch, MaxBatch);
        seq = Math.Max(seq, MaxSeq);
        FreeActivations();
        var sh = Config;
        long n = (long)batch * seq, c = sh.EmbeddingLength, f = sh.FeedForwardLength;
        var a = new TensorSlab();
        _acts = new LayerActs[sh.LayerCount];
        for (int l = 0; l < sh.LayerCount; l++)
        {
            string p = $"{l}.";
            _acts[l] = new LayerActs
            {
                Resid = a.Add(p + "resid", n * c), Ln1 = a.Add(p + "ln1", n * c), Rstd1 = a.Add(p + "rstd1", n),
                Q = a.Add(p + "q", n * sh.QueryDim), K = a.Add(p + "k", n * sh.KeyDim), V = a.Add(p + "v", n * sh.KeyDim),
                Att = a.Add(p + "att", (long)batch * sh.HeadCount * seq * seq), AttY = a.Add(p + "atty", n * sh.QueryDim),
                Resid2 = a.Add(p + "resid2", n * c), Ln2 = a.Add(p + "ln2", n * c), Rstd2 = a.Add(p + "rstd2", n),
                Gate = a.Add(p + "gate", n * f), Up = a.Add(p + "up", n * f), H = a.Add(p + "h", n * f),
            };
        }
        _final = a.Add("final", n * c);
        _lnf = a.Add("lnf", n * c);
        _rstdf = a.Add("rstdf", n);
        _logits = a.Add("logits", n * sh.VocabSize);
        _rowLosses = a.Add("rowlosses", n);
        _dResid = a.Add("dresid", n * c);
        _dLn = a.Add("dln", n * c);
        _dQ = a.Add("dq", n * sh.QueryDim);
        _dK = a.Add("dk", n * sh.KeyDim);
        _dV = a.Add("dv", n * sh.KeyDim);
        _dAttY = a.Add("datty", n * sh.QueryDim);
        _dGate = a.Add("dgate", n * f);
        _dUp = a.Add("dup", n * f);
        _dH = a.Add("dh", n * f);
        _attScratch = a.Add("attscratch", (long)batch * sh.HeadCountKv * seq);
        _wT = a.Add("wT", Math.Max(Math.Max(c * sh.QueryDim, c * f), c * sh.VocabSize));
        a.Allocate();
        _activations = a;
        _tokens = (int*)NativeMemory.AllocZeroed((nuint)n, sizeof(int));
        _targets = (int*)NativeMemory.AllocZeroed((nuint)n, sizeof(int));
        _weights = (float*)NativeMemory.AllocZeroed((nuint)n, sizeof(float));
        MaxBatch = batch;
        MaxSeq = seq;
    }

    /// <summary>Forward pass over the first <paramref name="b"/> x <paramref name="t"/> tokens of <see cref="Tokens"/> (row stride t).</summary>
    public void Forward(int b, int t)
    {
        if (b > MaxBatch || t > MaxSeq) throw new ArgumentException($"batch {b}x{t} exceeds the capacity {MaxBatch}x{MaxSeq}");
        _b = b; _t = t;
        var sh = Config;
        int n = b * t, c = sh.EmbeddingLength, f = sh.FeedForwardLength, v = sh.VocabSize;
        for (int i = 0; i < n; i++)
            if ((uint)_tokens[i] >= (uint)v) throw new ArgumentException($"token id {_tokens[i]} is outside the vocabulary (size {v})");
        Profile?.Begin();
        Embedding.Forward(_acts.Length > 0 ? _acts[0].Resid.Data : _final.Data, Parameters["token_embd.weight"].Data, _tokens, n, c);
        Profile?.End(KernelProfile.Embedding);
        float* wT = _wT.Data;
        for (int l = 0; l < sh.LayerCount; l++)
        {
            Layer p = _layers[l];
            LayerActs a = _acts[l];
            Profile?.Begin();
            RmsNorm.Forward(_pool, a.Resid.Data, p.AttnNorm.Data, a.Ln1.Data, a.Rstd1.Data, n, c, sh.RmsEpsilon);
            Profile?.End(KernelProfile.Norm);
            Profile?.Begin();
            Linear.Forward(_pool, a.Q.Data, a.Ln1.Data, p.Q.Data, Bias(p.QBias), n, c, sh.QueryDim, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            Linear.Forward(_pool, a.K.Data, a.Ln1.Data, p.K.Data, Bias(p.KBias), n, c, sh.KeyDim, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            Linear.Forward(_pool, a.V.Data, a.Ln1.Data, p.V.Data, Bias(p.VBias), n, c, sh.KeyDim, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            ApplyRope(a.Q.Data, n, t, sh.HeadCount, backward: false);
            Profile?.End(KernelProfile.Rope);
            Profile?.Begin();
            ApplyRope(a.K.Data, n, t, sh.HeadCountKv, backward: false);
            Profile?.End(KernelProfile.Rope);
            Profile?.Begin();
            Attention.Forward(_pool, a.AttY.Data, a.Att.Data, a.Q.Data, a.K.Data, a.V.Data, b, t, sh.HeadCount, sh.HeadCountKv, sh.KeyLength);
            Profile?.End(KernelProfile.AttnFwd);
            Profile?.Begin();
            Linear.Forward(_pool, a.Resid2.Data, a.AttY.Data, p.O.Data, null, n, sh.QueryDim, c, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            AddInPlace(a.Resid2.Data, a.Resid.Data, (long)n * c);
            Profile?.End(KernelProfile.Add);
            Profile?.Begin();
            RmsNorm.Forward(_pool, a.Resid2.Data, p.FfnNorm.Data, a.Ln2.Data, a.Rstd2.Data, n, c, sh.RmsEpsilon);
            Profile?.End(KernelProfile.Norm);
            Profile?.Begin();
            Linear.Forward(_pool, a.Gate.Data, a.Ln2.Data, p.Gate.Data, null, n, c, f, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            Linear.Forward(_pool, a.Up.Data, a.Ln2.Data, p.Up.Data, null, n, c, f, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            SwiGlu.Forward(_pool, a.Gate.Data, a.Up.Data, a.H.Data, (long)n * f);
            Profile?.End(KernelProfile.SwiGlu);
            float* next = l + 1 < sh.LayerCount ? _acts[l + 1].Resid.Data : _final.Data;
            Profile?.Begin();
            Linear.Forward(_pool, next, a.H.Data, p.Down.Data, null, n, f, c, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            AddInPlace(next, a.Resid2.Data, (long)n * c);
            Profile?.End(KernelProfile.Add);
        }
        Profile?.Begin();
        RmsNorm.Forward(_pool, _final.Data, Parameters["output_norm.weight"].Data, _lnf.Data, _rstdf.Data, n, c, sh.RmsEpsilon);
        Profile?.End(KernelProfile.Norm);
        Profile?.Begin();
        Linear.Forward(_pool, _logits.Data, _lnf.Data, OutputWeight, null, n, c, v, wT);
        Profile?.End(KernelProfile.MatmulFwd);
    }

    /// <summary>
    /// Cross-entropy of the last forward pass: scale * sum over positions of weight * (-log p(target)).
    /// With <paramref name="prepareBackward"/> the logits are replaced by the loss gradient.
    /// </summary>
    public double Loss(float scale, bool prepareBackward)
    {
        int n = _b * _t, v = Config.VocabSize;
        for (int i = 0; i < n; i++)
            if (_weights[i] != 0 && (uint)_targets[i] >= (uint)v) throw new ArgumentException($"target id {_targets[i]} is outside the vocabulary (size {v})");
        Profile?.Begin();
        double loss = CrossEntropy.ForwardBackward(_pool, _logits.Data, _targets, _weights, _rowLosses.Data, n, v, scale, prepareBackward);
        Profile?.End(KernelProfile.CrossEntropy);
        return loss;
    }

    /// <summary>Backward pass after <see cref="Forward"/> once <see cref="Logits"/> hold d loss / d logits (<see cref="Loss"/>(prepareBackward: true)
    /// or another objective): adds into <see cref="Gradients"/>.</summary>
    public void Backward()
    {
        if (Gradients.Data == null) throw new InvalidOperationException("this model was created without gradients (forward passes only)");
        var sh = Config;
        int b = _b, t = _t, n = b * t, c = sh.EmbeddingLength, f = sh.FeedForwardLength, v = sh.VocabSize;
        long nc = (long)n * c;
        float* dResid = _dResid.Data, dLn = _dLn.Data;
        // logits = lnf W^T
        Profile?.Begin();
        Linear.Backward(_pool, dLn, OutputGrad, null, _logits.Data, _lnf.Data, OutputWeight, n, c, v, accumulateDx: false);
        Profile?.End(KernelProfile.MatmulBwd);
        new Span<float>(dResid, (int)nc).Clear();
        Profile?.Begin();
        RmsNorm.Backward(_pool, dResid, Gradients["output_norm.weight"].Data, dLn, _final.Data, Parameters["output_norm.weight"].Data, _rstdf.Data, n, c);
        Profile?.End(KernelProfile.Norm);
        for (int l = sh.LayerCount - 1; l >= 0; l--)
        {
            Layer p = _layers[l], g = _gradLayers[l];
            LayerActs a = _acts[l];
            // resid_{l+1} = resid2 + h Wdown^T
            Profile?.Begin();
            Linear.Backward(_pool, _dH.Data, g.Down.Data, null, dResid, a.H.Data, p.Down.Data, n, f, c, accumulateDx: false);
            Profile?.End(KernelProfile.MatmulBwd);
            Profile?.Begin();
            SwiGlu.Backward(_pool, _dGate.Data, _dUp.Data, _dH.Data, a.Gate.Data, a.Up.Data, (long)n * f);
            Profile?.End(KernelProfile.SwiGlu);
            Profile?.Begin();
            Linear.Backward(_pool, dLn, g.Gate.Data, null, _dGate.Data, a.Ln2.Data, p.Gate.Data, n, c, f, accumulateDx: false);
            Profile?.End(KernelProfile.MatmulBwd);
            Profile?.Begin();
            Linear.Backward(_pool, dLn, g.Up.Data, null, _dUp.Data, a.Ln2.Data, p.Up.Data, n, c, f, accumulateDx: true);
            Profile?.End(KernelProfile.MatmulBwd);
            Profile?.Begin();
            RmsNorm.Backward(_pool, dResid, g.FfnNorm.Data, dLn, a.Resid2.Data, p.FfnNorm.Data, a.Rstd2.Data, n, c);
            Profile?.End(KernelProfile.Norm);
            // resid2 = resid + atty Wo^T
            Profile?.Begin();
            Linear.Backward(_pool, _dAttY.Data, g.O.Data, null, dResid, a.AttY.Data, p.O.Data, n, sh.QueryDim, c, accumulateDx: false);
            Profile?.End(KernelProfile.MatmulBwd);
            Profile?.Begin();
            Attention.Backward(_pool, _dQ.Data, _dK.Data, _dV.Data, _dAttY.Data, a.Att.Data, a.Q.Data, a.K.Data, a.V.Data,
                               b, t, sh.HeadCount, sh.HeadCountKv, sh.KeyLength, _attScratch.Data);
            Profile?.End(KernelProfile.AttnBwd);
            Profile?.Begin();
            ApplyRope(_dQ.Data, n, t, sh.HeadCount, backward: true);
            Profile?.End(KernelProfile.Rope);
            Profile?.Begin();
            ApplyRope(_dK.Data, n, t, sh.HeadCountKv, backward: true);
            Profile?.End(KernelProfile.Rope);
            Profile?.Begin();
            Linear.Backward(_pool, dLn, g.Q.Data, Bias(g.QBias), _dQ.Data, a.Ln1.Data, p.Q.Data, n, c, sh.QueryDim, accumulateDx: false);
            Profile?.End(KernelProfile.MatmulBwd);
            Profile?.Begin();
            Linear.Backward(_pool, dLn, g.K.Data, Bias(g.KBias), _dK.Data, a.Ln1.Data, p.K.Data, n, c, sh.KeyDim, accumulateDx: true);
            Profile?.End(KernelProfile.MatmulBwd);
            Profile?.Begin();
            Linear.Backward(_pool, dLn, g.V.Data, Bias(g.VBias), _dV.Data, a.Ln1.Data, p.V.Data, n, c, sh.KeyDim, accumulateDx: true);
            Profile?.End(KernelProfile.MatmulBwd);
            Profile?.Begin();
            RmsNorm.Backward(_pool, dResid, g.AttnNorm.Data, dLn, a.Resid.Data, p.AttnNorm.Data, a.Rstd1.Data, n, c);
            Profile?.End(KernelProfile.Norm);
        }
        Profile?.Begin();
        Embedding.Backward(Gradients["token_embd.weight"].Data, dResid, _tokens, n, c);
        Profile?.End(KernelProfile.Embedding);
    }

    private static float* Bias(SlabTensor? t) => t == null ? null : t.Data;

    /// <summary>Rope forward (or backward) in place on x[n, heads*head]; row r of a [B, T] batch is at position r % t.</summary>
    private void ApplyRope(float* x, int n, int t, int heads, bool backward)
    {
        int d = Config.KeyLength, half = d / 2;
        bool neox = Config.RopeStyle == RopeStyle.Neox;
        for (int row = 0; row < n; row++)
        {
            float* v = x + (long)row * heads * d, cos = _ropeCos + (long)(row % t) * half, sin = _ropeSin + (long)(row % t) * half;
            if (backward) Rope.Backward(v, heads, d, d, neox, cos, sin);
            else Rope.Forward(v, heads, d, d, neox, cos, sin);
        }
    }

    private static void AddInPlace(float* y, float* x, long len)
    {
        var ys = new Span<float>(y, checked((int)len));
        TensorPrimitives.Add(ys, new ReadOnlySpan<float>(x, (int)len), ys);
    }

    private void FreeActivations()
    {
        _activations?.Dispose();
        _activations = null;
        if (_tokens != null) NativeMemory.Free(_tokens);
        if (_targets != null) NativeMemory.Free(_targets);
        if (_weights != null) NativeMemory.Free(_weights);
        _tokens = null; _targets = null; _weights = null;
    }

    public void Dispose()
    {
        FreeActivations();
        Parameters.Dispose();
        Gradients.Dispose();
        if (_ropeCos != null) NativeMemory.AlignedFree(_ropeCos);
        if (_ropeSin != null) NativeMemory.AlignedFree(_ropeSin);
        _ropeCos = _ropeSin = null;
    }
}
