namespace R1Sharp.TestSupport;

/// <summary>Finite-difference checks of backward passes: for a random projection L = sum(r * y) of an op's output,
/// each analytic gradient entry must match the central difference (L(p + h) - L(p - h)) / 2h.</summary>
public static class GradientCheck
{
    /// <summary>sum a[i] * b[i] in double.</summary>
    public static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>Compares analytic[i] with the central difference of <paramref name="loss"/> in p[i] for every i
    /// (tolerance relative to the largest analytic entry); throws <see cref="GradientMismatchException"/> on the first miss.</summary>
    public static void Check(string what, float[] p, float[] analytic, Func<double> loss, float h = 1e-2f, double tol = 2e-2)
    {
        double max = analytic.Max(x => Math.Abs(x)) + 1e-6;
        for (int i = 0; i < p.Length; i++)
        {
            float keep = p[i];
            p[i] = keep + h; double up = loss();
            p[i] = keep - h; double down = loss();
            p[i] = keep;
            double fd = (up - down) / (2 * h);
            if (!(Math.Abs(fd - analytic[i]) <= tol * Math.Max(max, 1e-3)))
                throw new GradientMismatchException($"{what}[{i}]: analytic {analytic[i]}, finite difference {fd}");
        }
    }
}

/// <summary>An analytic gradient that disagrees with its finite difference.</summary>
public sealed class GradientMismatchException(string message) : Exception(message);
