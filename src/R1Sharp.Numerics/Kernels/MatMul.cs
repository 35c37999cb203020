using R1Sharp.Numerics.Tensors;
using R1Sharp.Gguf;

namespace R1Sharp.Numerics.Kernels;

/// <summary>
/// y = x W^T for a weight matrix in any supported type:
///   x: [batch, Cols] f32, y: [batch, Rows] f32,  y[b*Rows + r] = sum_c W[r,c] * x[b*Cols + c].
/// As in llama.cpp the activations are first converted once to the weight type's vec_dot_type
/// (<see cref="QuantizedActivations"/>), then every row is an integer (or float) dot product.
/// Work is split over rows (or 16-row tiles of a tiled matrix) on <see cref="Pool"/>; for batch > 1 each task walks
/// its rows for a tile of tokens at a time so a weight row is read from memory once and reused from cache for all
/// tokens of the tile. An instance holds the converted-activation scratch of one owner (a model): one call at a time,
/// no allocation in steady state. The owner disposes it; the pool is the owner's too.
/// </summary>
public sealed unsafe class MatMul : IDisposable
{
    public static bool Supports(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1
        or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    private const int TokenTile = 64;

    private readonly QuantizedActivations _act = new();
    private readonly Action<int> _task, _tileTask;
    private int _busy;
    // the running product, read by the tasks
    private WeightMatrix? _w;
    private float* _y;
    private int _batch, _rowsPerTask;

    public MatMul(ComputePool pool)
    {
        Pool = pool ?? throw new ArgumentNullException(nameof(pool));
        _task = Task;
        _tileTask = TileTask;
    }

    /// <summary>The threads <see cref="Forward"/> runs on.</summary>
    public ComputePool Pool { get; }

    public void Forward(WeightMatrix w, float* x, float* y, int batch)
    {
        if (batch <= 0) return;
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException("this MatMul is already running a product: each thread that multiplies needs its own");
        try
        {
            _act.Prepare(w.Type, x, w.Cols, batch, Pool);
            _w = w; _y = y; _batch = batch;
            int threads = Pool.Threads;
            // enough tasks to balance threads that run at different speeds, few enough to keep per-task overhead low
            int units = w.Tiled ? w.Rows / RowTiles.Rows : w.Rows; // tiles or rows
            int perTask = Math.Max(1, units / (threads * 8));
            if (batch > 1) perTask = w.Tiled ? Math.Clamp(units / (threads * 4), 1, 4) : Math.Clamp(perTask, 4, 16);
            _rowsPerTask = perTask;
            Pool.For((units + perTask - 1) / perTask, w.Tiled ? _tileTask : _task);
        }
        finally
        {
            _w = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    public void Dispose() => _act.Dispose();

    private void Task(int t)
    {
        var w = _w!;
        int rows = w.Rows, cols = w.Cols, batch = _batch;
        var type = w.Type;
        int r0 = t * _rowsPerTask, r1 = Math.Min(rows, r0 + _rowsPerTask);
        var act = _act;
        bool four = type is GgmlType.Q8_0 or GgmlType.Q4_K or GgmlType.Q6_K or GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;
        ActivationRow* x4 = stackalloc ActivationRow[4];
        float* y4 = stackalloc float[4];
        float* y = _y;
        for (int t0 = 0; t0 < batch; t0 += TokenTile)
        {
            int t1 = Math.Min(batch, t0 + TokenTile);
            for (int r = r0; r < r1; r++)
            {
                byte* row = w.RowPointer(r);
                int b = t0;
                if (four)
                    for (; b + 4 <= t1; b += 4)
                    {
                        for (int i = 0; i < 4; i++) x4[i] = act.Row(b + i);
                        Dot4(type, row, x4, cols, y4);
                        for (int i = 0; i < 4; i++) y[(long)(b + i) * rows + r] = y4[i];
                    }
                for (; b < t1; b++)
                    y[(long)b * rows + r] = Dot(type, row, act.Row(b), cols);
            }
        }
    }

    /// <summary>Tiles [t*perTask, ...) of a tiled matrix: for each slab of tokens (sized so the slab's activations and
    /// one tile stay in L2), each tile times the slab's tokens four at a time.</summary>
    private void TileTask(int t)
    {
        var w = _w!;
        int rows = w.Rows, cols = w.Cols, batch = _batch, tiles = rows / RowTiles.Rows;
        var type = w.Type;
        int i0 = t * _rowsPerTask, i1 = Math.Min(tiles, i0 + _rowsPerTask);
        var act = _act;
        ActivationRow* x = stackalloc ActivationRow[4];
        float* y = _y;
        int slab = Math.Clamp((384 * 1024 / cols) & ~3, 4, TokenTile);
        for (int t0 = 0; t0 < batch; t0 += slab)
        {
            int t1 = Math.Min(batch, t0 + slab);
            for (int i = i0; i < i1; i++)
            {
                byte* tile = w.TilePointer(i);
                for (int b = t0; b < t1; b += 4)
                {
                    int n = Math.Min(4, t1 - b);
                    for (int k = 0; k < n; k++) x[k] = act.Row(b + k);
                    TileKernels.Dot(type, tile, cols, x, n, y + (long)b * rows + i * RowTiles.Rows, rows);
                }
            }
        }
    }

    /// <summary>One weight row . four tokens (the types with a 4-token kernel).</summary>
    internal static void Dot4(GgmlType type, byte* row, ActivationRow* x, int cols, float* y)
    {
        switch (type)
        {
            case GgmlType.Q8_0: DotQ8_0.Dot4(row, x, cols / 32, y); break;
            case GgmlType.Q4_K: DotQ4_K.Dot4(row, x, cols / 256, y); break;
            case GgmlType.Q6_K: DotQ6_K.Dot4(row, x, cols / 256, y); break;
            case GgmlType.F32 or GgmlType.F16 or GgmlType.BF16:
                float** f = stackalloc float*[4];
                for (int i = 0; i < 4; i++) f[i] = x[i].F;
                DotFloat.Dot(type, row, f, 4, cols, y);
                break;
            default: for (int i = 0; i < 4; i++) y[i] = Dot(type, row, x[i], cols); break;
        }
    }

    /// <summary>One weight row . one token's converted activations.</summary>
    internal static float Dot(GgmlType type, byte* row, in ActivationRow x, int cols) => type switch
    {
        GgmlType.Q8_0 => DotQ8_0.Dot(row, x, cols / 32),
        GgmlType.Q4_0 => DotQ4_0.Dot(row, x, cols / 32),
        GgmlType.Q4_1 => DotQ4_1.Dot(row, x, cols / 32),
        GgmlType.Q5_0 => DotQ5_0.Dot(row, x, cols / 32),
        GgmlType.Q5_1 => DotQ5_1.Dot(row, x, cols / 32),
        GgmlType.Q4_K => DotQ4_K.Dot(row, x, cols / 256),
        GgmlType.Q5_K => DotQ5_K.Dot(row, x, cols / 256),
        GgmlType.Q6_K => DotQ6_K.Dot(row, x, cols / 256),
        _ => DotFloat.Dot(type, row, x.F, cols),
    };
}
