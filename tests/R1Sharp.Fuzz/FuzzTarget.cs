namespace R1Sharp.Fuzz;

/// <summary>
/// Something fuzzed: it makes inputs from a seeded generator and runs them. A run may end normally or with one of the
/// target's expected, clean exceptions (a one-line format or template error); anything else is a crash. Targets also
/// check properties that must hold for every input (decode after encode, streaming decode equals decode).
/// </summary>
public abstract class FuzzTarget
{
    public abstract string Name { get; }

    /// <summary>A new input; the same generator state gives the same input.</summary>
    public abstract FuzzInput Generate(Random rng);

    /// <summary>Runs one input on the calling thread. Throws <see cref="FuzzPropertyException"/> when a property fails.</summary>
    public abstract void Execute(FuzzInput input);

    /// <summary>Exceptions that are a correct answer to a bad input.</summary>
    public abstract bool IsExpected(Exception e);

    /// <summary>Per-thread scratch file for targets that need a path (GGUF files are memory-mapped).</summary>
    protected static string ScratchPath(string extension)
    {
        t_scratch ??= Path.Combine(Path.GetTempPath(), $"r1-fuzz-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}");
        return t_scratch + extension;
    }

    [ThreadStatic] private static string? t_scratch;

    /// <summary>Removes this thread's scratch file.</summary>
    public static void CleanScratch()
    {
        if (t_scratch != null) File.Delete(t_scratch + ".gguf");
    }
}

/// <summary>A property that must hold for every input did not.</summary>
public sealed class FuzzPropertyException(string message) : Exception(message);
