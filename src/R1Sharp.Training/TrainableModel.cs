using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using R1Sharp.Training.Kernels;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Models;
using R1Sharp.Models.Dense;

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
    private float* _ropeTable;
    private int* _tokens, _targets;
    private float* _weights;
    private int _b, _t; // shape of the last forward pass

    /// <summary>When set, wall time per kernel family is added to it (benchmarks).</summary>
    public KernelProfile? Profile { get; set; }

    public ModelShape Shape { get; }
    /// <summary>The threads the model's kernels run on (objectives computed outside the model use them too).</summary>
    public ComputePool Pool => _pool;
    public TensorSlab Parameters { get; }
    public TensorSlab Gradients { get; }
    public int MaxBatch { get; private set; }
    public int MaxSeq { get; private set; }

    /// <param name="withGradients">false for a frozen model that only runs forward passes (GRPO's old and reference
    /// models): no gradient memory; <see cref="Backward"/> then throws.</param>
    public TrainableModel(ModelShape shape, ComputePool pool, bool withGradients = true)
    {
        shape.Validate();
        Shape = shape;
        _pool = pool;
        Parameters = new TensorSlab();
        Gradients = new TensorSlab();
        _layers = Carve(Parameters);
        _gradLayers = Carve(Gradients);
        Parameters.Allocate();
        if (withGradients) Gradients.Allocate();
        int half = shape.HeadDim / 2;
        float[] table = Rope.Table(shape.ContextLength, shape.HeadDim, shape.RopeBase);
        _ropeTable = (float*)NativeMemory.AlignedAlloc((nuint)(table.Length * sizeof(float)), 64);
        table.CopyTo(new Span<float>(_ropeTable, shape.ContextLength * half * 2));
    }

    /// <summary>Parameter tensors in the order llama.cpp writes them.</summary>
    private Layer[] Carve(TensorSlab s)
    {
        var sh = Shape;
        long c = sh.EmbeddingLength;
        s.Add("token_embd.weight", c, sh.VocabSize);
        s.Add("output_norm.weight", c);
        if (!sh.TiedOutput) s.Add("output.weight", c, sh.VocabSize);
        var layers = new Layer[sh.LayerCount];
        for (int l = 0; l < sh.LayerCount; l++)
        {
            string p = $"blk.{l}.";
            var attnNorm = s.Add(p + "attn_norm.weight", c);
            var q = s.Add(p + "attn_q.weight", c, sh.QDim);
            var k = s.Add(p + "attn_k.weight", c, sh.KvDim);
            var v = s.Add(p + "attn_v.weight", c, sh.KvDim);
            SlabTensor? qb = null, kb = null, vb = null;
            if (sh.QkvBias)
            {
                qb = s.Add(p + "attn_q.bias", sh.QDim);
                kb = s.Add(p + "attn_k.bias", sh.KvDim);
                vb = s.Add(p + "attn_v.bias", sh.KvDim);
            }
            var o = s.Add(p + "attn_output.weight", sh.QDim, c);
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
    public DenseTransformer CreateInferenceModel(int maxBatchTokens = 512)
    {
        var sh = Shape;
        var config = new ModelConfig
        {
            Architecture = sh.Architecture,
            VocabSize = sh.VocabSize,
            ContextLength = sh.ContextLength,
            EmbeddingLength = sh.EmbeddingLength,
            LayerCount = sh.LayerCount,
            FeedForwardLength = sh.FeedForwardLength,
            HeadCount = sh.HeadCount,
            HeadCountKv = sh.KvHeadCount,
            KeyLength = sh.HeadDim,
            ValueLength = sh.HeadDim,
            RmsEpsilon = sh.RmsEps,
            RopeFreqBase = sh.RopeBase,
            RopeDimensionCount = sh.HeadDim,
            RopeStyle = ModelConfig.RopeStyleFor(sh.Architecture),
        };
        var tensors = Parameters.Tensors.ToDictionary(t => t.Name, t => new Float32Tensor((nint)t.Data, t.Dims), StringComparer.Ordinal);
        return DenseTransformer.OverFloat32(config, tensors, _pool, maxBatchTokens);
    }

    private float* OutputWeight => Shape.TiedOutput ? Parameters["token_embd.weight"].Data : Parameters["output.weight"].Data;
    private float* OutputGrad => Shape.TiedOutput ? Gradients["token_embd.weight"].Data : Gradients["output.weight"].Data;

    /// <summary>Token ids of the batch, row-major [B, T] (fill before <see cref="Forward"/>).</summary>
    public Span<int> Tokens => new(_tokens, MaxBatch * MaxSeq);
    /// <summary>Target ids [B, T] (any valid id where the weight is 0).</summary>
    public Span<int> Targets => new(_targets, MaxBatch * MaxSeq);
    /// <summary>Per-position loss weights [B, T] (0 = not trained on).</summary>
    public Span<float> Weights => new(_weights, MaxBatch * MaxSeq);
    /// <summary>Logits of the last forward pass [B*T, V]; before <see cref="Backward"/> they must hold d loss / d logits
    /// (written by <see cref="Loss"/> when asked, or by another objective such as GRPO's).</summary>
    public Span<float> Logits => new(_logits.Data, _b * _t * Shape.VocabSize);

    /// <summary>Sizes the activations for batches up to <paramref name="batch"/> x <paramref name="seq"/> (allocates only when growing).</summary>
    public void EnsureCapacity(int batch, int seq)
    {
        if (seq > Shape.ContextLength) throw new ArgumentException($"sequence of {seq} tokens is longer than the context ({Shape.ContextLength})");
        if (batch <= MaxBatch && seq <= MaxSeq) return;
        batch = Math.Max(batch, MaxBatch);
        seq = Math.Max(seq, MaxSeq);
        FreeActivations();
        var sh = Shape;
        long n = (long)batch * seq, c = sh.EmbeddingLength, f = sh.FeedForwardLength;
        var a = new TensorSlab();
        _acts = new LayerActs[sh.LayerCount];
        for (int l = 0; l < sh.LayerCount; l++)
        {
            string p = $"{l}.";
            _acts[l] = new LayerActs
            {
                Resid = a.Add(p + "resid", n * c), Ln1 = a.Add(p + "ln1", n * c), Rstd1 = a.Add(p + "rstd1", n),
                Q = a.Add(p + "q", n * sh.QDim), K = a.Add(p + "k", n * sh.KvDim), V = a.Add(p + "v", n * sh.KvDim),
                Att = a.Add(p + "att", (long)batch * sh.HeadCount * seq * seq), AttY = a.Add(p + "atty", n * sh.QDim),
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
        _dQ = a.Add("dq", n * sh.QDim);
        _dK = a.Add("dk", n * sh.KvDim);
        _dV = a.Add("dv", n * sh.KvDim);
        _dAttY = a.Add("datty", n * sh.QDim);
        _dGate = a.Add("dgate", n * f);
        _dUp = a.Add("dup", n * f);
        _dH = a.Add("dh", n * f);
        _attScratch = a.Add("attscratch", (long)batch * sh.KvHeadCount * seq);
        _wT = a.Add("wT", Math.Max(Math.Max(c * sh.QDim, c * f), c * sh.VocabSize));
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
        var sh = Shape;
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
            RmsNorm.Forward(_pool, a.Ln1.Data, a.Rstd1.Data, a.Resid.Data, p.AttnNorm.Data, n, c, sh.RmsEps);
            Profile?.End(KernelProfile.Norm);
            Profile?.Begin();
            Linear.Forward(_pool, a.Q.Data, a.Ln1.Data, p.Q.Data, Bias(p.QBias), n, c, sh.QDim, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            Linear.Forward(_pool, a.K.Data, a.Ln1.Data, p.K.Data, Bias(p.KBias), n, c, sh.KvDim, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            Linear.Forward(_pool, a.V.Data, a.Ln1.Data, p.V.Data, Bias(p.VBias), n, c, sh.KvDim, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            Rope.Apply(a.Q.Data, n, t, sh.HeadCount, sh.HeadDim, sh.RopeNeox, _ropeTable, inverse: false);
            Profile?.End(KernelProfile.Rope);
            Profile?.Begin();
            Rope.Apply(a.K.Data, n, t, sh.KvHeadCount, sh.HeadDim, sh.RopeNeox, _ropeTable, inverse: false);
            Profile?.End(KernelProfile.Rope);
            Profile?.Begin();
            Attention.Forward(_pool, a.AttY.Data, a.Att.Data, a.Q.Data, a.K.Data, a.V.Data, b, t, sh.HeadCount, sh.KvHeadCount, sh.HeadDim);
            Profile?.End(KernelProfile.AttnFwd);
            Profile?.Begin();
            Linear.Forward(_pool, a.Resid2.Data, a.AttY.Data, p.O.Data, null, n, sh.QDim, c, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            AddInPlace(a.Resid2.Data, a.Resid.Data, (long)n * c);
            Profile?.End(KernelProfile.Add);
            Profile?.Begin();
            RmsNorm.Forward(_pool, a.Ln2.Data, a.Rstd2.Data, a.Resid2.Data, p.FfnNorm.Data, n, c, sh.RmsEps);
            Profile?.End(KernelProfile.Norm);
            Profile?.Begin();
            Linear.Forward(_pool, a.Gate.Data, a.Ln2.Data, p.Gate.Data, null, n, c, f, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            Linear.Forward(_pool, a.Up.Data, a.Ln2.Data, p.Up.Data, null, n, c, f, wT);
            Profile?.End(KernelProfile.MatmulFwd);
            Profile?.Begin();
            SwiGlu.Forward(_pool, a.H.Data, a.Gate.Data, a.Up.Data, (long)n * f);
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
        RmsNorm.Forward(_pool, _lnf.Data, _rstdf.Data, _final.Data, Parameters["output_norm.weight"].Data, n, c, sh.RmsEps);
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
        int n = _b * _t, v = Shape.VocabSize;
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
        var sh = Shape;
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
            Linear.Backward(_pool, _dAttY.Data, g.O.Data, null, dResid, a.AttY.Data, p.O.Data, n, sh.QDim, c, accumulateDx: false);
            Profile?.End(KernelProfile.MatmulBwd);
            Profile?.Begin();
            Attention.Backward(_pool, _dQ.Data, _dK.Data, _dV.Data, _dAttY.Data, a.Att.Data, a.Q.Data, a.K.Data, a.V.Data,
                               b, t, sh.HeadCount, sh.KvHeadCount, sh.HeadDim, _attScratch.Data);
            Profile?.End(KernelProfile.AttnBwd);
            Profile?.Begin();
            Rope.Apply(_dQ.Data, n, t, sh.HeadCount, sh.HeadDim, sh.RopeNeox, _ropeTable, inverse: true);
            Profile?.End(KernelProfile.Rope);
            Profile?.Begin();
            Rope.Apply(_dK.Data, n, t, sh.KvHeadCount, sh.HeadDim, sh.RopeNeox, _ropeTable, inverse: true);
            Profile?.End(KernelProfile.Rope);
            Profile?.Begin();
            Linear.Backward(_pool, dLn, g.Q.Data, Bias(g.QBias), _dQ.Data, a.Ln1.Data, p.Q.Data, n, c, sh.QDim, accumulateDx: false);
            Profile?.End(KernelProfile.MatmulBwd);
            Profile?.Begin();
            Linear.Backward(_pool, dLn, g.K.Data, Bias(g.KBias), _dK.Data, a.Ln1.Data, p.K.Data, n, c, sh.KvDim, accumulateDx: true);
            Profile?.End(KernelProfile.MatmulBwd);
            Profile?.Begin();
            Linear.Backward(_pool, dLn, g.V.Data, Bias(g.VBias), _dV.Data, a.Ln1.Data, p.V.Data, n, c, sh.KvDim, accumulateDx: true);
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
        if (_ropeTable != null) NativeMemory.AlignedFree(_ropeTable);
        _ropeTable = null;
    }
}
