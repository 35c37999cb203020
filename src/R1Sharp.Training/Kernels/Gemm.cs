using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Kernels;

/// <summary>
/// The one matrix product behind every linear layer's forward and backward:
/// C[i*ldc + p] (=|+=) sum_k A[i*sai + k*sak] * B[k*ldb + p], i &lt; M, p &lt; P, k &lt; K.
/// A is read through two strides (so a transposed operand costs nothing), B is row-major [K, P].
/// Register-blocked 6x32 micro-kernel (12 Vector512 accumulators, B rows loaded, A broadcast), blocked over
/// K (256) so a B sub-panel stays in L1 while it sweeps the rows of a tile. Tiles of 48 rows x 128 columns are
/// shared among the pool's threads; every element of C is summed by one thread in a fixed k order, so the
/// result does not depend on the number of threads or their timing.
/// </summary>
internal static unsafe class Gemm
{
    private const int MR = 6, NR = 32, KB = 256, TileRows = 48, TileCols = 128;

    private struct Args
    {
        public float* A, B, C;
        public long Sai, Sak, Ldb, Ldc;
        public int M, P, K, RowTiles;
        public bool Accumulate;
    }

    public static void Run(ComputePool pool, float* a, long sai, long sak, float* b, long ldb, float* c, long ldc,
                           int m, int p, int k, bool accumulate)
    {
        if (m <= 0 || p <= 0) return;
        if (k <= 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) new Span<float>(c + i * ldc, p).Clear();
            return;
        }
        var args = new Args
        {
            A = a, B = b, C = c, Sai = sai, Sak = sak, Ldb = ldb, Ldc = ldc, M = m, P = p, K = k,
            RowTiles = (m + TileRows - 1) / TileRows, Accumulate = accumulate,
        };
        int colTiles = (p + TileCols - 1) / TileCols;
        pool.For(args.RowTiles * colTiles, &Tile, &args);
    }

    private static void Tile(int index, void* context)
    {
        ref Args g = ref Unsafe.AsRef<Args>(context);
        int r0 = index % g.RowTiles * TileRows, r1 = Math.Min(g.M, r0 + TileRows);
        int p0 = index / g.RowTiles * TileCols, p1 = Math.Min(g.P, p0 + TileCols);
        for (int kb = 0; kb < g.K; kb += KB)
        {
            int kn = Math.Min(KB, g.K - kb);
            bool first = kb == 0 && !g.Accumulate;
            float* a = g.A + kb * g.Sak, b = g.B + kb * g.Ldb;
            int p = p0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; p + NR <= p1; p += NR)
                {
                    int i = r0;
                    for (; i + MR <= r1; i += MR) Micro6x32(a + i * g.Sai, g.Sai, g.Sak, b + p, g.Ldb, g.C + i * g.Ldc + p, g.Ldc, kn, first);
                    for (; i < r1; i++) Micro1x32(a + i * g.Sai, g.Sak, b + p, g.Ldb, g.C + i * g.Ldc + p, kn, first);
                }
                for (; p + 16 <= p1; p += 16)
                    for (int i = r0; i < r1; i++) Micro1x16(a + i * g.Sai, g.Sak, b + p, g.Ldb, g.C + i * g.Ldc + p, kn, first);
            }
            for (int i = r0; i < r1; i++)
                for (int q = p; q < p1; q++)
                {
                    float s = 0;
                    float* ai = a + i * g.Sai;
                    for (int kk = 0; kk < kn; kk++) s += ai[kk * g.Sak] * b[kk * g.Ldb + q];
                    float* ci = g.C + i * g.Ldc + q;
                    *ci = first ? s : *ci + s;
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    private static void Micro6x32(float* a, long sai, long sak, float* b, long ldb, float* c, long ldc, int kn, bool first)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
                         c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* a0 = a, a1 = a + sai, a2 = a + 2 * sai, a3 = a + 3 * sai, a4 = a + 4 * sai, a5 = a + 5 * sai;
        long o = 0;
        for (int k = 0; k < kn; k++, o += sak, b += ldb)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a0[o]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector512.Create(a1[o]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector512.Create(a2[o]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector512.Create(a3[o]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector512.Create(a4[o]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector512.Create(a5[o]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
        }
        Put(c, c00, first); Put(c + 16, c01, first); c += ldc;
        Put(c, c10, first); Put(c + 16, c11, first); c += ldc;
        Put(c, c20, first); Put(c + 16, c21, first); c += ldc;
        Put(c, c30, first); Put(c + 16, c31, first); c += ldc;
        Put(c, c40, first); Put(c + 16, c41, first); c += ldc;
        Put(c, c50, first); Put(c + 16, c51, first);
    }

    private static void Micro1x32(float* a, long sak, float* b, long ldb, float* c, int kn, bool first)
    {
        Vector512<float> c0 = default, c1 = default;
        long o = 0;
        for (int k = 0; k < kn; k++, o += sak, b += ldb)
        {
            var x = Vector512.Create(a[o]);
            c0 = Fma(x, Vector512.Load(b), c0);
            c1 = Fma(x, Vector512.Load(b + 16), c1);
        }
        Put(c, c0, first); Put(c + 16, c1, first);
    }

    private static void Micro1x16(float* a, long sak, float* b, long ldb, float* c, int kn, bool first)
    {
        Vector512<float> c0 = default;
        long o = 0;
        for (int k = 0; k < kn; k++, o += sak, b += ldb) c0 = Fma(Vector512.Create(a[o]), Vector512.Load(b), c0);
        Put(c, c0, first);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* c, Vector512<float> v, bool first)
    {
        if (first) v.Store(c);
        else (Vector512.Load(c) + v).Store(c);
    }

    /// <summary>dst[c*rows + r] = src[r*cols + c]: src [rows, cols] -> dst [cols, rows], blocked for the caches.</summary>
    public static void Transpose(float* src, float* dst, int rows, int cols)
    {
        const int Bk = 32;
        for (int r0 = 0; r0 < rows; r0 += Bk)
            for (int c0 = 0; c0 < cols; c0 += Bk)
            {
                int r1 = Math.Min(rows, r0 + Bk), c1 = Math.Min(cols, c0 + Bk);
                for (int r = r0; r < r1; r++)
                {
                    float* s = src + (long)r * cols;
                    for (int c = c0; c < c1; c++) dst[(long)c * rows + r] = s[c];
                }
            }
    }
}
