namespace R1Sharp.Training.Kernels;

/// <summary>Token embedding lookup: x[n] = E[token[n]] with E [V, C].</summary>
public static unsafe class Embedding
{
    public static void Forward(float* x, float* table, int* tokens, int n, int c)
    {
        for (int i = 0; i < n; i++)
            new ReadOnlySpan<float>(table + (long)tokens[i] * c, c).CopyTo(new Span<float>(x + (long)i * c, c));
    }

    /// <summary>dE[token[n]] += dx[n], in row order (deterministic).</summary>
    public static void Backward(float* dtable, float* dx, int* tokens, int n, int c)
    {
        for (int i = 0; i < n; i++)
        {
            float* d = dtable + (long)tokens[i] * c, s = dx + (long)i * c;
            for (int j = 0; j < c; j++) d[j] += s[j];
        }
    }
}
