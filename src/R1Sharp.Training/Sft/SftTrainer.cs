using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Tensors;
using R1Sharp.Training.Data;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Numerics;

namespace R1Sharp.Training.Sft;

/// <summary>What one optimizer step did.</summary>
public sealed record StepResult(int Step, double Loss, double LearningRate, double GradNorm, long Tokens, double Seconds);

/// <summary>
/// Supervised fine-tuning: batches of rows in a seeded shuffled order (reshuffled every epoch), token-level mean
/// cross-entropy over the weighted positions of each optimizer step, gradient accumulation, clipping, AdamW.
/// Checkpoints (DIR/checkpoint.gguf) hold the model with its metadata, both AdamW moments, the step, the data
/// order with its cursor and the RNG state; they are written to a temporary file, flushed to disk and renamed over
/// the previous one, so a kill at any moment leaves the previous or the new checkpoint, never a broken one.
/// Kernels are deterministic, so a resumed run reproduces an uninterrupted one bit for bit.
/// </summary>
public sealed class SftTrainer : IDisposable
{
    public const string CheckpointFile = "checkpoint.gguf";
    private const string Prefix = "r1.train.";

    private readonly ComputePool _pool;
    private readonly TrainableModel _model;
    private readonly AdamW _optimizer;
    private readonly List<TrainingExample> _data;
    private readonly List<MetadataEntry> _metadata;
    private readonly string _dataHash;
    private readonly TrainingExample[] _stepRows;
    private Xoshiro256StarStar _rng;
    private int[] _order;
    private int _cursor, _epoch;

    public SftOptions Options { get; }
    public string OutputDirectory { get; }
    /// <summary>Optimizer steps completed.</summary>
    public int Step { get; private set; }
    public TrainableModel Model => _model;
    public int RowCount => _data.Count;

    private SftTrainer(SftOptions options, string dir, ComputePool pool, TrainableModel model, List<MetadataEntry> metadata,
                       List<TrainingExample> data, string dataHash)
    {
        Options = options;
        OutputDirectory = dir;
        _pool = pool;
        _model = model;
        _metadata = metadata;
        _data = data;
        _dataHash = dataHash;
        _optimizer = new AdamW(model.Parameters, new AdamWOptions { Beta1 = options.Beta1, Beta2 = options.Beta2, Eps = options.Eps, WeightDecay = options.WeightDecay }, pool);
        _stepRows = new TrainingExample[options.BatchSize * options.GradAccum];
        _rng = new Xoshiro256StarStar(options.Seed);
        _order = Enumerable.Range(0, data.Count).ToArray();
        _rng.Shuffle(_order);
        // Size the activations once for the longest row: no allocation per step.
        model.EnsureCapacity(Math.Min(options.BatchSize, data.Count * options.GradAccum), data.Max(r => r.PredictedCount));
    }

    /// <summary>A new run from --init or --config. Nothing is written until the first checkpoint.</summary>
    public static SftTrainer Create(SftOptions options, string outDir, ComputePool pool)
    {
        options.Validate();
        options = options with
        {
            DataPath = Path.GetFullPath(options.DataPath),
            InitModel = options.InitModel == null ? null : Path.GetFullPath(options.InitModel),
            ConfigPath = options.ConfigPath == null ? null : Path.GetFullPath(options.ConfigPath),
        };
        if (File.Exists(Path.Combine(outDir, CheckpointFile)))
            throw new ArgumentException($"{outDir} already holds a run (use --resume {outDir}, or another --out)");
        TrainableModel model;
        List<MetadataEntry> metadata;
        ITextEncoder? encoder;
        if (options.InitModel != null)
        {
            using var file = GgufFile.Open(options.InitModel);
            model = ModelGguf.Load(file, pool);
            metadata = file.MetadataKeys.Where(k => !k.StartsWith(Prefix, StringComparison.Ordinal))
                .Select(k => new MetadataEntry(k, file.MetadataTypes[k], file.Metadata[k])).ToList();
            encoder = TextEncoders.FromGguf(file);
        }
        else
        {
            var config = ModelConfigFile.Load(options.ConfigPath!);
            model = new TrainableModel(config.Model, pool);
            config.Initialize(model, options.Seed);
            metadata = config.Metadata();
            using var tf = GgufFile.Open(config.TokenizerPath);
            encoder = TextEncoders.FromGguf(tf);
        }
        try
        {
            var data = JsonlDataset.Load(options.DataPath, model.Config.VocabSize, model.Config.ContextLength, encoder);
            return new SftTrainer(options, outDir, pool, model, metadata, data, HashFile(options.DataPath));
        }
        catch { model.Dispose(); throw; }
    }

    /// <summary>Continues the run saved in <paramref name="dir"/> from its last complete checkpoint.</summary>
    public static SftTrainer Resume(string dir, ComputePool pool)
    {
        string path = Path.Combine(dir, CheckpointFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"no checkpoint in {dir} ({CheckpointFile} missing)");
        foreach (string stale in Directory.GetFiles(dir, CheckpointFile + ".tmp*")) File.Delete(stale); // a write cut short
        using var file = GgufFile.Open(path);
        var options = JsonSerializer.Deserialize<SftOptions>(file.RequireString(Prefix + "options"))
            ?? throw new InvalidDataException($"{path}: no training options");
        var model = ModelGguf.Load(file, pool);
        try
        {
            var metadata = file.MetadataKeys.Where(k => !k.StartsWith(Prefix, StringComparison.Ordinal))
                .Select(k => new MetadataEntry(k, file.MetadataTypes[k], file.Metadata[k])).ToList();
            string hash = HashFile(options.DataPath);
            if (hash != file.RequireString(Prefix + "data_sha256"))
                throw new InvalidDataException($"the data file {options.DataPath} changed since the run started; resume needs the same data");
            var data = JsonlDataset.Load(options.DataPath, model.Config.VocabSize, model.Config.ContextLength, TextEncoders.FromGguf(file));
            var t = new SftTrainer(options, dir, pool, model, metadata, data, hash);
            ModelGguf.ReadInto(file, t._optimizer.M, "adam.m.");
            ModelGguf.ReadInto(file, t._optimizer.V, "adam.v.");
            t.Step = (int)file.RequireInteger(Prefix + "step");
            t._optimizer.StepCount = t.Step;
            t._epoch = (int)file.RequireInteger(Prefix + "epoch");
            t._cursor = (int)file.RequireInteger(Prefix + "cursor");
            t._order = (int[])file.GetArray(Prefix + "order")!.Items;
            t._rng = Xoshiro256StarStar.FromState(file.RequireString(Prefix + "rng"));
            if (t._order.Length != data.Count) throw new InvalidDataException($"{path}: data order does not match the data file");
            return t;
        }
        catch { model.Dispose(); throw; }
    }

    private TrainingExample NextRow()
    {
        if (_cursor == _order.Length)
        {
            _epoch++;
            _cursor = 0;
            _rng.Shuffle(_order);
        }
        return _data[_order[_cursor++]];
    }

    /// <summary>One optimizer step over BatchSize * GradAccum rows.</summary>
    public StepResult TrainStep()
    {
        var sw = Stopwatch.StartNew();
        var o = Options;
        for (int i = 0; i < _stepRows.Length; i++) _stepRows[i] = NextRow();
        long count = Batch.WeightedCount(_stepRows), tokens = 0;
        foreach (var r in _stepRows) tokens += r.PredictedCount;
        _model.Gradients.Clear();
        double loss = 0;
        for (int m = 0; m < o.GradAccum; m++)
            loss += _model.ForwardBackward(new ArraySegment<TrainingExample>(_stepRows, m * o.BatchSize, o.BatchSize), count, backward: true);
        double norm = AdamW.ClipGradNorm(_model.Gradients, o.MaxGradNorm);
        double lr = o.LearningRateAt(Step + 1);
        _optimizer.Update(_model.Parameters, _model.Gradients, lr);
        Step++;
        return new StepResult(Step, loss, lr, norm, tokens, sw.Elapsed.TotalSeconds);
    }

    /// <summary>Writes DIR/checkpoint.gguf atomically (temporary file, fsync, rename over the previous one).</summary>
    public void SaveCheckpoint()
    {
        Directory.CreateDirectory(OutputDirectory);
        var w = NewModelWriter(GgmlType.F32);
        w.Set(Prefix + "options", JsonSerializer.Serialize(Options));
        w.Set(Prefix + "step", (long)Step);
        w.Set(Prefix + "epoch", (long)_epoch);
        w.Set(Prefix + "cursor", (long)_cursor);
        w.Set(Prefix + "order", _order);
        w.Set(Prefix + "rng", _rng.State);
        w.Set(Prefix + "data_sha256", _dataHash);
        ModelGguf.AddTensors(w, _optimizer.M, "adam.m.");
        ModelGguf.AddTensors(w, _optimizer.V, "adam.v.");
        w.Write(Path.Combine(OutputDirectory, CheckpointFile));
    }

    /// <summary>A GGUF writer holding the model's metadata and its tensors in <paramref name="type"/>.</summary>
    private GgufWriter NewModelWriter(GgmlType type)
    {
        var w = new GgufWriter();
        foreach (var m in _metadata) w.Add(m.Key, m.Type, m.Value);
        w.Set("general.file_type", 0u);
        foreach (var t in _model.Parameters.Tensors)
        {
            var tensor = t;
            w.AddTensor(t.Name, GgmlType.F32, t.Dims, () => ModelGguf.Encode(tensor, GgmlType.F32), t.Length * 4);
        }
        return w;
    }

    /// <summary>Trains until <see cref="SftOptions.Steps"/>, appending one JSON line per step to <paramref name="logPath"/>
    /// and saving a checkpoint every SaveEvery steps and at the end.</summary>
    public void Run(string? logPath, Action<StepResult>? onStep = null, CancellationToken cancel = default)
    {
        StreamWriter? log = logPath == null ? null : OpenLog(logPath, Step);
        try
        {
            while (Step < Options.Steps && !cancel.IsCancellationRequested)
            {
                var r = TrainStep();
                log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"step\": {r.Step}, \"loss\": {r.Loss:R}, \"lr\": {r.LearningRate:R}, \"grad_norm\": {r.GradNorm:R}, \"tokens\": {r.Tokens}, \"tokens_per_s\": {r.Tokens / Math.Max(r.Seconds, 1e-9):F1}}}"));
                log?.Flush();
                onStep?.Invoke(r);
                if (Step % Options.SaveEvery == 0 || Step == Options.Steps) SaveCheckpoint();
            }
        }
        finally { log?.Dispose(); }
    }

    /// <summary>Opens the log for appending; lines of steps after <paramref name="step"/> (work lost to a kill) are dropped first.</summary>
    private static StreamWriter OpenLog(string path, int step)
    {
        if (File.Exists(path))
        {
            var keep = File.ReadAllLines(path).Where(l =>
            {
                try { using var d = JsonDocument.Parse(l); return d.RootElement.GetProperty("step").GetInt32() <= step; }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { return false; }
            }).ToList();
            string tmp = path + ".tmp";
            File.WriteAllLines(tmp, keep);
            File.Move(tmp, path, overwrite: true);
        }
        else if (Path.GetDirectoryName(Path.GetFullPath(path)) is string d) Directory.CreateDirectory(d);
        return new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
    }

    private static string HashFile(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(s));
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}
