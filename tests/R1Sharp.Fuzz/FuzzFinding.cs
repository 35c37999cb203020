namespace R1Sharp.Fuzz;

/// <summary>A case that crashed (an unexpected exception or a failed property) or hung (ran past the case time limit).</summary>
public sealed record FuzzFinding(string Target, int Seed, long Case, string Kind, string Message, FuzzInput Input, string? SavedTo)
{
    public override string ToString() =>
        $"{Kind} in {Target} (seed {Seed}, case {Case}): {Message}\n  input: {Input.Description}{(SavedTo != null ? $"\n  saved: {SavedTo}" : "")}";
}
