namespace R1Sharp.TestSupport;

/// <summary>Locates the repository root and tests/fixtures from a test's working directory.</summary>
public static class Fixtures
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Dir => System.IO.Path.Combine(RepoRoot, "tests", "fixtures");

    public static string Path(params string[] parts) => System.IO.Path.Combine([Dir, .. parts]);

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(System.IO.Path.Combine(d.FullName, "R1Sharp.slnx"))) return d.FullName;
        throw new InvalidOperationException("repository root (R1Sharp.slnx) not found above " + AppContext.BaseDirectory);
    }
}
