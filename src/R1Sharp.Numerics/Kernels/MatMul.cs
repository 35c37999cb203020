using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Numerics.Kernels;

/// <summary>
/// y = x W^T for a weight matrix in any supported type:
///   x: [batch, Cols] f32, y: [batch, Rows] f32,  y[b*Rows + r] = sum_c W[r,c] * x[b*Cols + c].
/// Rows are split across <see cref="ComputePool.Shared"/>.
/// </summary>
public static unsafe class MatMul
{
    public static bool Supports(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1
        or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    private const int RowsPerTask = 16;

    [ThreadStatic] private static float[]? t_row;

    private static readonly object s_gate = new();
    private static WeightMatrix? s_w;
    private static float* s_x, s_y;
    private static int s_batch;
    private static readonly Action<int> s_task = Task;

    public static void Forward(WeightMatrix w, float* x, float* y, int batch)
    {
        if (batch <= 0) return;
        lock (s_gate)
        {
            s_w = w; s_x = x; s_y = y; s_batch = batch;
            try { ComputePool.Shared.For((w.Rows + RowsPerTask - 1) / RowsPerTask, s_task); }
            finally { s_w = null; }
        }
    }

    private static void Task(int t)
    {
        var w = s_w!;
        int cols = w.Cols, rows = w.Rows;
        var buffer = t_row is { } b && b.Length >= cols ? b : t_row = new float[cols];
        int r0 = t * RowsPerTask, r1 = Math.Min(rows, r0 + RowsPerTask);
        fixed (float* row = buffer)
            for (int r = r0; r < r1; r++)
            {
                Dequantize.Row(w.Type, w.RowPointer(r), row, cols);
                for (int bi = 0; bi < s_batch; bi++)
                    s_y[(long)bi * rows + r] = Dot(row, s_x + (long)bi * cols, cols);
            }
    }

    private static float Dot(float* a, float* b, int n)
    {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[i] * b[i];
        return s;
    }
}
