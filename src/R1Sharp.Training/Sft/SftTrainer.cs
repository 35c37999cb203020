using System.Diagnostics;
using System.Globalization;
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
    public const string CheckpointFile = TrainingCheckpoint.FileName;
    private const string Prefix = TrainingCheckpoint.Prefix;

    private readonly ComputePool _pool;
    private readonly TrainableModel _model;
    private readonly AdamW _optimizer;
    private readonly List<TrainingExample> _data;
    private readonly List<MetadataEntry> _metadata;
    private readonly string _dataHash;
    private readonly TrainingExample[] _stepRows;
    private readonly ShuffledOrder _order;

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
        _optimizer = new AdamW(model.Parameters, options.Optimizer, pool);
        _stepRows = new TrainingExample[options.BatchSize * options.GradAccum];
        _order = new ShuffledOrder(data.Count, options.Seed);
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
            metadata = TrainingCheckpoint.ModelMetadata(file);
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
            return new SftTrainer(options, outDir, pool, model, metadata, data, TrainingCheckpoint.HashFile(options.DataPath));
        }
        catch { model.Dispose(); throw; }
    }

    /// <summary>Continues the run saved in <paramref name="dir"/> from its last complete checkpoint.</summary>
    public static SftTrainer Resume(string dir, ComputePool pool)
    {
        string path = TrainingCheckpoint.Existing(dir);
        using var file = GgufFile.Open(path);
        if (file.GetString(Prefix + "kind") is string kind) throw new InvalidDataException($"{dir} is a {kind} run (resume it with r1 train {kind} --resume)");
        var options = JsonSerializer.Deserialize<SftOptions>(file.RequireString(Prefix + "options"))
            ?? throw new InvalidDataException($"{path}: no training options");
        var model = ModelGguf.Load(file, pool);
        try
        {
            var metadata = TrainingCheckpoint.ModelMetadata(file);
            string hash = TrainingCheckpoint.HashFile(options.DataPath);
            if (hash != file.RequireString(Prefix + "data_sha256"))
                throw new InvalidDataException($"the data file {options.DataPath} changed since the run started; resume needs the same data");
            var data = JsonlDataset.Load(options.DataPath, model.Config.VocabSize, model.Config.ContextLength, TextEncoders.FromGguf(file));
            var t = new SftTrainer(options, dir, pool, model, metadata, data, hash);
            t.Step = (int)file.RequireInteger(Prefix + "step");
            TrainingCheckpoint.ReadOptimizer(file, t._optimizer, t.Step);
            t._order.Restore(file);
            return t;
        }
        catch { model.Dispose(); throw; }
    }

    private TrainingExample NextRow() => _data[_order.Next()];

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
        var w = TrainingCheckpoint.ModelWriter(_metadata, _model);
        w.Set(Prefix + "options", JsonSerializer.Serialize(Options));
        w.Set(Prefix + "step", (long)Step);
        _order.Save(w);
        w.Set(Prefix + "data_sha256", _dataHash);
        TrainingCheckpoint.AddOptimizer(w, _optimizer);
        w.Write(Path.Combine(OutputDirectory, CheckpointFile));
    }

    /// <summary>Trains until <see cref="SftOptions.Steps"/>, appending one JSON line per step to <paramref name="logPath"/>
    /// and saving a checkpoint every SaveEvery steps and at the end.</summary>
    public void Run(string? logPath, Action<StepResult>? onStep = null, CancellationToken cancel = default)
    {
        StreamWriter? log = logPath == null ? null : StepLog.Open(logPath, Step);
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

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}
