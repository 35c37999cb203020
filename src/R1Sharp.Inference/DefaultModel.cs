namespace R1Sharp.Inference;

/// <summary>Finds the model to run: an explicit path, else $R1_MODEL, else the bundled model (the first *.gguf, by
/// name, in a `models/` folder next to or above the executable).</summary>
public static class DefaultModel
{
    /// <summary>The environment variable naming the default model file.</summary>
    public const string EnvironmentVariable = "R1_MODEL";

    /// <summary>The model file to run, searching for a bundled one from the app's directory.</summary>
    public static string Resolve(string? path) => Resolve(path, AppContext.BaseDirectory);

    /// <summary>The model file to run: <paramref name="path"/> when given, else $R1_MODEL, else the first
    /// <c>models/*.gguf</c> (by name) in <paramref name="startDirectory"/> or a folder above it. Throws
    /// <see cref="FileNotFoundException"/> with a one-line reason when there is none.</summary>
    public static string Resolve(string? path, string startDirectory)
    {
        if (!string.IsNullOrWhiteSpace(path))
            return File.Exists(path) ? Path.GetFullPath(path) : throw new FileNotFoundException($"model file '{path}' not found", path);
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env))
            return File.Exists(env) ? Path.GetFullPath(env) : throw new FileNotFoundException($"model file '{env}' (from ${EnvironmentVariable}) not found", env);
        for (var dir = new DirectoryInfo(startDirectory); dir != null; dir = dir.Parent)
        {
            string models = Path.Combine(dir.FullName, "models");
            if (!Directory.Exists(models)) continue;
            string? first = Directory.EnumerateFiles(models, "*.gguf").Order(StringComparer.Ordinal).FirstOrDefault();
            if (first != null) return first;
        }
        throw new FileNotFoundException(
            $"no model given and none bundled: pass --model FILE.gguf, set ${EnvironmentVariable}, or put a .gguf file in models/ (searched upwards from {startDirectory})");
    }
}
