using System.Text.RegularExpressions;
using R1Sharp.Models.Layers;
using R1Sharp.Numerics.Layers;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Models.Dense;

/// <summary>
/// The dense decoder of the R1 distills as llama.cpp lays it out in GGUF: `qwen2` (R1-Distill-Qwen: Q/K/V biases,
/// NEOX rope) and `llama` (R1-Distill-Llama: no biases, normal rope, optional llama-3 `rope_freqs`). Per layer:
/// x += Wo·attn(rope(Wq·n(x)+bq), rope(Wk·n(x)+bk), Wv·n(x)+bv); x += Wdown·(silu(Wgate·n(x)) * Wup·n(x)), n = RMSNorm;
/// logits = Wout·n(x) (Wout = token_embd when `output.weight` is absent). Grouped-query attention, causal.
/// All tokens of all items of a step go through each matrix product as one batch.
/// </summary>
internal sealed unsafe partial class DenseTransformer : ILanguageModel
{
    private sealed class Layer
    {
        public required float* AttnNorm, FfnNorm;
        public required WeightMatrix Q, K, V, O, Gate, Up, Down;
        public float* QBias, KBias, VBias; // null when absent
    }

    private readonly record struct Chunk(int Item, int Start, int Count);

    private readonly ModelConfig _cfg;
    private readonly Layer[] _layers;
    private readonly WeightMatrix _embedding, _output;
    private readonly float* _outputNorm;
    private readonly float* _ropeFreqs; // llama-3 frequency factors, or null
    private List<NativeBuffer> _vectors = []; // the memory of the norms and biases when loaded from a file
    private readonly int _maxBatch;
    private readonly ComputePool _pool;
    private readonly bool _ownsPool;
    private readonly MatMul _matmul;
    private readonly WeightArena? _arena;
    private readonly object _gate = new();
    private bool _disposed;

    // Scratch, sized for _capacity tokens, grown rarely ([tokens, width] row-major).
    private int _capacity;
    private NativeBuffer? _x, _xb, _q, _k, _v, _attn, _ffnGate, _ffnUp, _cos, _sin;
    private NativeBuffer? _logits;
    private const int LogitRowsPerProduct = 16;
    private int[] _tokenChunk = [], _tokenPos = [], _progress = [];
    private readonly List<Chunk> _chunks = [];

    // State of the running step, read by the preallocated parallel bodies (no closures per call).
    private IReadOnlyList<ForwardItem> _items = [];
    private int _stepTokens, _layer;
    private long _attentionWork; // multiply-adds of one layer's attention: small steps run it inline
    private readonly Action<int> _attentionBody, _qkvBody, _attnNormBody, _ffnNormBody, _swiGluBody;
    private int _partitions;

    // Attention runs over work items (token, KV head, range of cached positions): each streams its keys and values once
    // for all the query heads of its group and leaves partial softmaxes, merged per (token, head) afterwards. Tasks
    // take items t, t + tasks, ... (prefill's later tokens attend to more positions); each task has its own scratch.
    private readonly AttentionPlan _plan = new();
    private NativeBuffer? _attnScratch, _partials;
    private readonly Action<int> _mergeBody;
    private readonly GgmlType _kvType;

    private DenseTransformer(ModelConfig cfg, Weights weights, int maxBatch, ComputePool pool, bool ownsPool, WeightArena? arena, GgmlType kvType)
    {
        _kvType = kvType;
        _pool = pool;
        _ownsPool = ownsPool;
        _matmul = new MatMul(pool);
        _arena = arena;
        _cfg = cfg;
        _layers = weights.Layers;
        _embedding = weights.Embedding;
        _output = weights.Output;
        _outputNorm = weights.OutputNorm;
        _ropeFreqs = weights.RopeFreqs;
        _maxBatch = Math.Max(1, maxBatch);
        _attentionBody = AttentionTask;
        _qkvBody = QkvTask;
        _attnNormBody = p => NormRows(p, _layers[_layer].AttnNorm);
        _ffnNormBody = p => NormRows(p, _layers[_layer].FfnNorm);
        _swiGluBody = SwiGluTask;
        _mergeBody = MergeTask;
    }

    public ModelConfig Config => _cfg;

    /// <summary>Total bytes of weight data this model reads.</summary>
    public long WeightBytes { get; private init; }

    public ISequenceState CreateSequence(int capacity)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), "capacity must be positive");
        return new DenseSequence(this, _cfg, capacity, _kvType);
    }

    // ---------------------------------------------------------------- loading

    [GeneratedRegex(@"^blk\.(\d+)\.(attn_norm|attn_q|attn_k|attn_v|attn_output|ffn_norm|ffn_gate|ffn_up|ffn_down)\.(weight|bias)$")]
    private static partial Regex BlockTensor();

    /// <summary>Where <see cref="Assemble"/> takes a matrix [rows x cols] from (placed for the kernels when
    /// <paramref name="place"/>).</summary>
    private delegate WeightMatrix MatrixSource(string name, int rows, int cols, bool place);

    /// <summary>Where <see cref="Assemble"/> takes a float32 vector from: a pointer that stays valid while the model
    /// lives; 0 when <paramref name="optional"/> and absent.</summary>
    private delegate nint VectorSource(string name, int length, bool optional);

    private sealed class Weights(Layer[] layers, WeightMatrix embedding, WeightMatrix output, float* outputNorm, float* ropeFreqs)
    {
        public readonly Layer[] Layers = layers;
        public readonly WeightMatrix Embedding = embedding, Output = output;
        public readonly float* OutputNorm = outputNorm, RopeFreqs = ropeFreqs;
    }

    /// <summary>Every tensor must be one this architecture uses: an unknown one means a layout we would run wrongly.</summary>
    private static void CheckTensorNames(ModelConfig cfg, IEnumerable<string> names, string source)
    {
        bool biases = cfg.Architecture == "qwen2";
        foreach (string n in names)
        {
            bool known = n is "token_embd.weight" or "output_norm.weight" or "output.weight"
                         || (n == "rope_freqs.weight" && cfg.Architecture == "llama");
            if (!known && BlockTensor().Match(n) is { Success: true } m)
            {
                bool isBias = m.Groups[3].Value == "bias";
                known = Hyperparameters.LayerOf(n) is int layer && layer < cfg.LayerCount
                        && (!isBias || (biases && m.Groups[2].Value is "attn_q" or "attn_k" or "attn_v"));
            }
            if (!known)
                throw new ModelFormatException(source, $"unknown tensor {MessageText.Quote(n)} for architecture '{cfg.Architecture}' (not supported by this engine)");
        }
    }

    /// <summary>The network's tensors by their llama.cpp names, from either source.</summary>
    private static Weights Assemble(ModelConfig cfg, Func<string, bool> has, MatrixSource matrix, VectorSource vector)
    {
        bool biases = cfg.Architecture == "qwen2";
        int e = cfg.EmbeddingLength, qDim = cfg.HeadCount * cfg.KeyLength, kDim = cfg.HeadCountKv * cfg.KeyLength,
            vDim = cfg.HeadCountKv * cfg.ValueLength, oDim = cfg.HeadCount * cfg.ValueLength, f = cfg.FeedForwardLength;
        // token_embd is only looked up (a row per token) unless the output reuses it: then it is placed like the others
        bool tied = !has("output.weight");
        var embedding = matrix("token_embd.weight", cfg.VocabSize, e, place: tied);
        var output = tied ? embedding : matrix("output.weight", cfg.VocabSize, e, place: true);
        var layers = new Layer[cfg.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"blk.{i}.";
            layers[i] = new Layer
            {
                AttnNorm = (float*)vector(p + "attn_norm.weight", e, false),
                Q = matrix(p + "attn_q.weight", qDim, e, true),
                K = matrix(p + "attn_k.weight", kDim, e, true),
                V = matrix(p + "attn_v.weight", vDim, e, true),
                QBias = biases ? (float*)vector(p + "attn_q.bias", qDim, true) : null,
                KBias = biases ? (float*)vector(p + "attn_k.bias", kDim, true) : null,
                VBias = biases ? (float*)vector(p + "attn_v.bias", vDim, true) : null,
                O = matrix(p + "attn_output.weight", e, oDim, true),
                FfnNorm = (float*)vector(p + "ffn_norm.weight", e, false),
                Gate = matrix(p + "ffn_gate.weight", f, e, true),
                Up = matrix(p + "ffn_up.weight", f, e, true),
                Down = matrix(p + "ffn_down.weight", e, f, true),
            };
        }
        var outputNorm = (float*)vector("output_norm.weight", e, false);
        var ropeFreqs = has("rope_freqs.weight") ? (float*)vector("rope_freqs.weight", cfg.RopeDimensionCount / 2, false) : null;
        return new Weights(layers, embedding, output, outputNorm, ropeFreqs);
    }

    internal static DenseTransformer Load(GgufFile file, ModelLoadOptions options)
    {
        var cfg = ModelConfig.FromGguf(file);
        CheckTensorNames(cfg, file.Tensors.Select(t => t.Name), file.Path);

        long weightBytes = 0;
        // Weights the matrix products read: copied once into memory laid out for the kernels, unless --mmap.
        var pool = options.CreatePool();
        var arena = options.Mmap ? null : new WeightArena();
        // Norms and biases: float32 copies in native memory (stable pointers), freed with the model.
        var vectors = new List<NativeBuffer>();
        WeightMatrix Matrix(string name, int rows, int cols, bool place)
        {
            var info = Require(file, name);
            if (info.Dimensions.Length != 2 || info.Dimensions[0] != cols || info.Dimensions[1] != rows)
                throw new ModelFormatException(file.Path, $"tensor '{name}' has shape [{string.Join(", ", info.Dimensions)}], expected [{cols}, {rows}]");
            if (!IsSupportedType(info.Type))
                throw new ModelFormatException(file.Path, $"tensor '{name}' has type {info.Type}, which this engine cannot compute with");
            weightBytes += info.ByteSize;
            var m = WeightMatrix.FromGguf(file, info);
            return place && arena != null ? arena.Place(m, pool) : m;
        }
        nint Vector(string name, int length, bool optional)
        {
            if (!file.TryGetTensor(name, out var info))
            {
                if (optional) return 0;
                throw new ModelFormatException(file.Path, $"tensor '{name}' is missing");
            }
            if (info.ElementCount != length || info.Dimensions[0] != length)
                throw new ModelFormatException(file.Path, $"tensor '{name}' has shape [{string.Join(", ", info.Dimensions)}], expected [{length}]");
            if (info.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
                throw new ModelFormatException(file.Path, $"tensor '{name}' has type {info.Type}; expected F32, F16 or BF16");
            weightBytes += info.ByteSize;
            var values = new NativeBuffer(length);
            vectors.Add(values);
            new WeightMatrix(file.GetTensorPointer(info), info.Type, 1, length).DequantizeRow(0, new Span<float>(values.Data, length));
            return (nint)values.Data;
        }

        try
        {
            var w = Assemble(cfg, name => file.TryGetTensor(name, out _), Matrix, Vector);
            return new DenseTransformer(cfg, w, options.MaxBatchTokens, pool, ownsPool: true, arena, options.KvType) { WeightBytes = weightBytes, _vectors = vectors };
        }
        catch
        {
            foreach (var v in vectors) v.Dispose();
            arena?.Dispose();
            pool.Dispose();
            throw;
        }
    }

    /// <summary>
    /// (<see cref="ModelLoader.OverFloat32"/>.) A model that computes directly on float32 tensors someone else owns, named and shaped as in a GGUF file
    /// (a trainer's parameter slab): no copy, so after the owner changes the values (an optimizer step) the next
    /// <see cref="Forward"/> uses the new ones. Tell engines that cache KV of earlier requests to forget it then.
    /// The tensors must stay allocated while the model lives; it runs on <paramref name="pool"/>, which it does not
    /// dispose (calls from different threads take turns on a pool).
    /// </summary>
    public static DenseTransformer OverFloat32(ModelConfig config, IReadOnlyDictionary<string, Float32Tensor> tensors,
                                              ComputePool pool, int maxBatchTokens = 512)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(pool);
        if (config.Architecture is not ("qwen2" or "llama"))
            throw new ArgumentException($"architecture '{config.Architecture}' is not a dense model (qwen2 or llama)", nameof(config));
        const string source = "float32 weights";
        CheckTensorNames(config, tensors.Keys, source);
        long weightBytes = 0;
        Float32Tensor Get(string name, params long[] dims)
        {
            if (!tensors.TryGetValue(name, out var t)) throw new ModelFormatException(source, $"tensor '{name}' is missing");
            if (t.Data == 0) throw new ModelFormatException(source, $"tensor '{name}' has no memory");
            if (!t.Dims.SequenceEqual(dims))
                throw new ModelFormatException(source, $"tensor '{name}' has shape [{string.Join(", ", t.Dims)}], expected [{string.Join(", ", dims)}]");
            weightBytes += 4 * dims.Aggregate(1L, (a, b) => a * b);
            return t;
        }
        WeightMatrix Matrix(string name, int rows, int cols, bool place) =>
            new((byte*)Get(name, cols, rows).Data, GgmlType.F32, rows, cols);
        nint Vector(string name, int length, bool optional) =>
            optional && !tensors.ContainsKey(name) ? 0 : Get(name, length).Data;
        var w = Assemble(config, tensors.ContainsKey, Matrix, Vector);
        // F32 KV cache: a trainer's rollouts are compared with its own float32 forward pass
        return new DenseTransformer(config, w, maxBatchTokens, pool, ownsPool: false, arena: null, GgmlType.F32) { WeightBytes = weightBytes };
    }

    private static GgufTensorInfo Require(GgufFile file, string name) =>
        file.TryGetTensor(name, out var info) ? info : throw new ModelFormatException(file.Path, $"tensor '{name}' is missing");

    private static bool IsSupportedType(GgmlType t) => t is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0
        or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    // ---------------------------------------------------------------- forward

    public void Forward(IReadOnlyList<ForwardItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Validate(items);
            if (_progress.Length < items.Count) _progress = new int[Math.Max(items.Count, 2 * _progress.Length)];
            Array.Clear(_progress, 0, items.Count);
            _items = items;
            try
            {
                // Split into steps of at most _maxBatch tokens: every item contributes what fits, in order.
                while (true)
                {
                    _chunks.Clear();
                    int budget = _maxBatch;
                    for (int i = 0; i < items.Count && budget > 0; i++)
                    {
                        int remaining = items[i].Tokens.Length - _progress[i];
                        if (remaining <= 0) continue;
                        int take = Math.Min(remaining, budget);
                        _chunks.Add(new Chunk(i, _progress[i], take));
                        _progress[i] += take;
                        budget -= take;
                    }
                    if (_chunks.Count == 0) break;
                    Step(_maxBatch - budget);
                }
            }
            finally
            {
                _items = [];
            }
        }
    }

    private void Validate(IReadOnlyList<ForwardItem> items)
    {
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i] ?? throw new ArgumentException($"item {i} is null");
            if (item.Sequence is not DenseSequence seq || !ReferenceEquals(seq.Owner, this))
                throw new ArgumentException($"item {i}: the sequence was not created by this model");
            int n = item.Tokens.Length;
            if (n == 0) throw new ArgumentException($"item {i} has no tokens");
            if (seq.Length + n > seq.Capacity)
                throw new InvalidOperationException($"item {i}: {seq.Length} + {n} tokens exceed the sequence capacity of {seq.Capacity}");
            long needed = (long)(item.AllLogits ? n : 1) * _cfg.VocabSize;
            if (item.Logits.Length < needed)
                throw new ArgumentException($"item {i}: logits buffer holds {item.Logits.Length} floats, {needed} needed");
            foreach (int tok in item.Tokens.Span)
                if ((uint)tok >= (uint)_cfg.VocabSize)
                    throw new ArgumentOutOfRangeException(nameof(items), $"item {i}: token id {tok} is outside the vocabulary of {_cfg.VocabSize}");
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(items[j].Sequence, seq))
                    throw new ArgumentException($"items {j} and {i} share a sequence");
        }
    }

    private void EnsureScratch(int tokens)
    {
        if (tokens <= _capacity) return;
        int cap = Math.Min(_maxBatch, Math.Max(tokens, Math.Max(8, 2 * _capacity)));
        FreeScratch();
        var c = _cfg;
        _x = new NativeBuffer((long)cap * c.EmbeddingLength);
        _xb = new NativeBuffer((long)cap * Math.Max(c.EmbeddingLength, c.HeadCount * c.ValueLength));
        _q = new NativeBuffer((long)cap * c.HeadCount * c.KeyLength);
        _k = new NativeBuffer((long)cap * c.HeadCountKv * c.KeyLength);
        _v = new NativeBuffer((long)cap * c.HeadCountKv * c.ValueLength);
        _attn = new NativeBuffer((long)cap * c.HeadCount * c.ValueLength);
        _ffnGate = new NativeBuffer((long)cap * c.FeedForwardLength);
        _ffnUp = new NativeBuffer((long)cap * c.FeedForwardLength);
        _cos = new NativeBuffer((long)cap * (c.RopeDimensionCount / 2));
        _sin = new NativeBuffer((long)cap * (c.RopeDimensionCount / 2));
        _logits ??= new NativeBuffer((long)LogitRowsPerProduct * c.VocabSize);
        _tokenChunk = new int[cap];
        _tokenPos = new int[cap];
        _capacity = cap;
    }

    private void FreeScratch()
    {
        foreach (var b in new[] { _x, _xb, _q, _k, _v, _attn, _ffnGate, _ffnUp, _cos, _sin }) b?.Dispose();
    }

    /// <summary>One pass of the current chunks (n tokens in all) through the network.</summary>
    private void Step(int n)
    {
        EnsureScratch(n);
        var c = _cfg;
        int e = c.EmbeddingLength, half = c.RopeDimensionCount / 2;
        float* x = _x!.Data;
        _stepTokens = n;
        _partitions = n < 4 ? 1 : Math.Min(n, 4 * _pool.Threads);

        // Embedding rows, positions, rope angles.
        int row = 0;
        _attentionWork = 0;
        float* freqs = _ropeFreqs;
        for (int ci = 0; ci < _chunks.Count; ci++)
        {
            var ch = _chunks[ci];
            var item = _items[ch.Item];
            var seq = (DenseSequence)item.Sequence;
            var tokens = item.Tokens.Span;
            for (int t = 0; t < ch.Count; t++, row++)
            {
                int pos = seq.Length + t;
                _tokenChunk[row] = ci;
                _tokenPos[row] = pos;
                _attentionWork += (long)(pos + 1) * c.HeadCount * (c.KeyLength + c.ValueLength);
                _embedding.DequantizeRow(tokens[ch.Start + t], new Span<float>(x + (long)row * e, e));
                Rope.Angles(pos, c.RopeDimensionCount, c.RopeFreqBase, c.RopeFreqScale, freqs,
                    _cos!.Data + (long)row * half, _sin!.Data + (long)row * half);
            }
        }
        PlanAttention(n);

        for (_layer = 0; _layer < _layers.Length; _layer++)
        {
            var L = _layers[_layer];
            Parallel(_attnNormBody);
            _matmul.Forward(L.Q, _xb!.Data, _q!.Data, n);
            _matmul.Forward(L.K, _xb.Data, _k!.Data, n);
            _matmul.Forward(L.V, _xb.Data, _v!.Data, n);
            Parallel(_qkvBody);
            StoreKv();
            if (_plan.Tasks == 1) AttentionTask(0);
            else _pool.For(_plan.Tasks, _attentionBody);
            Parallel(_mergeBody);
            _matmul.Forward(L.O, _attn!.Data, _xb.Data, n);
            AddInto(x, _xb.Data, (long)n * e);
            Parallel(_ffnNormBody);
            _matmul.Forward(L.Gate, _xb.Data, _ffnGate!.Data, n);
            _matmul.Forward(L.Up, _xb.Data, _ffnUp!.Data, n);
            Parallel(_swiGluBody);
            _matmul.Forward(L.Down, _ffnGate.Data, _xb.Data, n);
            AddInto(x, _xb.Data, (long)n * e);
        }

        foreach (var ch in _chunks) ((DenseSequence)_items[ch.Item].Sequence).Length += ch.Count;
        WriteLogits();
    }

    private void Parallel(Action<int> body)
    {
        if (_partitions == 1) body(0);
        else _pool.For(_partitions, body);
    }

    private (int Start, int End) Rows(int partition)
    {
        int n = _stepTokens, p = _partitions;
        return ((int)((long)n * partition / p), (int)((long)n * (partition + 1) / p));
    }

    private void NormRows(int partition, float* weight)
    {
        var (s, end) = Rows(partition);
        int e = _cfg.EmbeddingLength;
        RmsNorm.Forward(_x!.Data + (long)s * e, weight, _xb!.Data + (long)s * e, end - s, e, _cfg.RmsEpsilon);
    }

    private void QkvTask(int partition)
    {
        var (s, end) = Rows(partition);
        var c = _cfg;
        var L = _layers[_layer];
        int qd = c.HeadCount * c.KeyLength, kd = c.HeadCountKv * c.KeyLength, vd = c.HeadCountKv * c.ValueLength, half = c.RopeDimensionCount / 2;
        for (int r = s; r < end; r++)
        {
            float* q = _q!.Data + (long)r * qd, k = _k!.Data + (long)r * kd, v = _v!.Data + (long)r * vd;
            if (L.QBias != null) AddInto(q, L.QBias, qd);
            if (L.KBias != null) AddInto(k, L.KBias, kd);
            if (L.VBias != null) AddInto(v, L.VBias, vd);
            float* cos = _cos!.Data + (long)r * half, sin = _sin!.Data + (long)r * half;
            Rope.Forward(q, c.HeadCount, c.KeyLength, c.RopeDimensionCount, c.RopeStyle == RopeStyle.Neox, cos, sin);
            Rope.Forward(k, c.HeadCountKv, c.KeyLength, c.RopeDimensionCount, c.RopeStyle == RopeStyle.Neox, cos, sin);
        }
    }

    private void StoreKv()
    {
        var c = _cfg;
        int kd = c.HeadCountKv * c.KeyLength, vd = c.HeadCountKv * c.ValueLength;
        for (int r = 0; r < _stepTokens; r++)
        {
            var seq = (DenseSequence)_items[_chunks[_tokenChunk[r]].Item].Sequence;
            int pos = _tokenPos[r];
            for (int h = 0; h < c.HeadCountKv; h++)
            {
                seq.Store(seq.Keys(_layer, h), (long)pos * c.KeyLength, _k!.Data + (long)r * kd + h * c.KeyLength, c.KeyLength);
                seq.Store(seq.Values(_layer, h), (long)pos * c.ValueLength, _v!.Data + (long)r * vd + h * c.ValueLength, c.ValueLength);
            }
        }
    }

    /// <summary>The step's attention work items (<see cref="AttentionPlan"/>) and their buffers.</summary>
    private void PlanAttention(int n)
    {
        var c = _cfg;
        int group = c.HeadCount / c.HeadCountKv, threads = _pool.Threads;
        _plan.Plan(_tokenPos, n, c.HeadCountKv, threads, _attentionWork);
        long partials = (long)_plan.Items * group * GroupedAttention.PartialFloats(c.ValueLength);
        if (_partials == null || _partials.Length < partials)
        {
            _partials?.Dispose();
            _partials = new NativeBuffer(Math.Max(partials, 2 * (_partials?.Length ?? 0)));
        }
        long scratch = (long)Math.Max(_plan.Tasks, 4 * threads) * GroupedAttention.ScratchFloats(group, c.KeyLength, c.ValueLength);
        if (_attnScratch == null || _attnScratch.Length < scratch)
        {
            _attnScratch?.Dispose();
            _attnScratch = new NativeBuffer(scratch);
        }
    }

    private void AttentionTask(int task)
    {
        var c = _cfg;
        int group = c.HeadCount / c.HeadCountKv, rec = GroupedAttention.PartialFloats(c.ValueLength);
        float* scratch = _attnScratch!.Data + (long)task * GroupedAttention.ScratchFloats(group, c.KeyLength, c.ValueLength);
        float scale = 1f / MathF.Sqrt(c.KeyLength);
        for (int i = task; i < _plan.Items; i += _plan.Tasks)
        {
            int r = _plan.Row(i), g = _plan.Group(i);
            var seq = (DenseSequence)_items[_chunks[_tokenChunk[r]].Item].Sequence;
            GroupedAttention.Partial(_kvType, _q!.Data + ((long)r * c.HeadCount + g * group) * c.KeyLength, c.KeyLength, group,
                seq.Keys(_layer, g), c.KeyLength, seq.Values(_layer, g), c.ValueLength, _plan.Start(i), _plan.End(i),
                c.KeyLength, c.ValueLength, scale, scratch, _partials!.Data + (long)i * group * rec);
        }
    }

    /// <summary>Attention output of the partition's tokens: each head's ranges merged.</summary>
    private void MergeTask(int partition)
    {
        var (s, end) = Rows(partition);
        var c = _cfg;
        int group = c.HeadCount / c.HeadCountKv, rec = GroupedAttention.PartialFloats(c.ValueLength);
        for (int r = s; r < end; r++)
        {
            int ranges = _plan.Ranges(r);
            for (int h = 0; h < c.HeadCount; h++)
            {
                int g = h / group;
                float* first = _partials!.Data + ((long)(_plan.First(r) + g * ranges) * group + h % group) * rec;
                GroupedAttention.Merge(first, ranges, (long)group * rec, c.ValueLength, _attn!.Data + ((long)r * c.HeadCount + h) * c.ValueLength);
            }
        }
    }

    private void SwiGluTask(int partition)
    {
        var (s, end) = Rows(partition);
        long f = _cfg.FeedForwardLength;
        SwiGlu.Forward(_ffnGate!.Data + s * f, _ffnUp!.Data + s * f, _ffnGate.Data + s * f, (end - s) * f);
    }

    private static void AddInto(float* y, float* x, long n)
    {
        for (long i = 0; i < n; i += 1 << 20)
        {
            int len = (int)Math.Min(1 << 20, n - i);
            System.Numerics.Tensors.TensorPrimitives.Add(new ReadOnlySpan<float>(y + i, len), new ReadOnlySpan<float>(x + i, len), new Span<float>(y + i, len));
        }
    }

    /// <summary>Final norm and output projection for the rows whose logits are wanted, a few rows per product.</summary>
    private void WriteLogits()
    {
        int e = _cfg.EmbeddingLength, vocab = _cfg.VocabSize;
        float* x = _x!.Data, xb = _xb!.Data, logits = _logits!.Data;
        // Pending rows: (row, item, destination row in the item's logits).
        Span<(int Row, int Item, int Dest)> pending = stackalloc (int, int, int)[LogitRowsPerProduct];
        int count = 0, row = 0;
        float* norm = _outputNorm;
        foreach (var ch in _chunks)
        {
            var item = _items[ch.Item];
            for (int t = 0; t < ch.Count; t++, row++)
            {
                bool last = ch.Start + t == item.Tokens.Length - 1;
                if (!item.AllLogits && !last) continue;
                RmsNorm.Forward(x + (long)row * e, norm, xb + (long)count * e, 1, e, _cfg.RmsEpsilon);
                pending[count++] = (row, ch.Item, item.AllLogits ? ch.Start + t : 0);
                if (count == LogitRowsPerProduct) Flush(pending, ref count);
            }
        }
        if (count > 0) Flush(pending, ref count);

        void Flush(Span<(int Row, int Item, int Dest)> rows, ref int n)
        {
            _matmul.Forward(_output, xb, logits, n);
            for (int i = 0; i < n; i++)
                new ReadOnlySpan<float>(logits + (long)i * vocab, vocab)
                    .CopyTo(_items[rows[i].Item].Logits.Span.Slice(rows[i].Dest * vocab, vocab));
            n = 0;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            FreeScratch();
            _logits?.Dispose();
            _attnScratch?.Dispose();
            _partials?.Dispose();
            _arena?.Dispose();
            _matmul.Dispose();
            if (_ownsPool) _pool.Dispose();
            foreach (var v in _vectors) v.Dispose();
        }
    }
}
