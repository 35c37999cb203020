namespace R1Sharp.Training.Data;

/// <summary>Which half of the problem space a generator draws from. The partition is a fixed function of a
/// problem's <see cref="GeneratedProblem.Key"/> (a stable hash), so train and test never share a problem,
/// whatever seeds and counts are used.</summary>
public enum DataSplit { Train, Test }

/// <summary>A seeded source of generated problems of one split: the same seed and settings always give the same
/// sequence. Subclasses draw candidate problems; this class keeps those of its split.</summary>
public abstract class ProblemGenerator
{
    private readonly int _testPercent;

    protected ProblemGenerator(int seed, DataSplit split, int testPercent)
    {
        if (testPercent is < 1 or > 99) throw new ArgumentException("test percent must be 1..99");
        Rng = new Random(seed);
        Split = split;
        _testPercent = testPercent;
    }

    protected Random Rng { get; }

    public DataSplit Split { get; }

    /// <summary>True when a problem key belongs to the test split (FNV-1a hash of the key, mod 100).</summary>
    public static bool IsTestKey(string key, int testPercent = 10)
    {
        uint h = 2166136261;
        foreach (char c in key) { h ^= c; h *= 16777619; }
        return h % 100 < (uint)testPercent;
    }

    /// <summary>A candidate problem of either split, or null to draw again (e.g. a Countdown puzzle the training
    /// working cannot solve within its limits).</summary>
    protected abstract GeneratedProblem? Draw();

    /// <summary>The next problem of this generator's split.</summary>
    public GeneratedProblem Next()
    {
        for (int attempt = 0; ; attempt++)
        {
            if (Draw() is { } p && IsTestKey(p.Key, _testPercent) == (Split == DataSplit.Test)) return p;
            if (attempt > 100_000) throw new InvalidOperationException("the problem space of this split is empty");
        }
    }

    /// <summary>Up to <paramref name="count"/> problems; with <paramref name="distinct"/>, no key repeats (the result may
    /// then be shorter when the problem space is smaller than the count).</summary>
    public IEnumerable<GeneratedProblem> Generate(int count, bool distinct)
    {
        var seen = new HashSet<string>();
        int produced = 0, misses = 0;
        while (produced < count)
        {
            var p = Next();
            if (distinct && !seen.Add(p.Key))
            {
                if (++misses > 50 * count + 10_000) yield break;
                continue;
            }
            produced++;
            yield return p;
        }
    }
}
