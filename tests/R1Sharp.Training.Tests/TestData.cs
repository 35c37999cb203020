using R1Sharp.TestSupport;
using R1Sharp.Numerics;

namespace R1Sharp.Training.Tests;

internal static class TestData
{
    public static string TinyQwen => Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf");
    public static string TinyLlama => Fixtures.Path("golden", "models", "tiny-llama-s1-f32.gguf");

    public static string TempDir(string name)
    {
        string d = Path.Combine(Path.GetTempPath(), "r1-training-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>Rows of varied length over a 300-token vocabulary, seeded.</summary>
    public static string TokenRows(string dir, int rows, int seed = 1, int minLen = 8, int maxLen = 40)
    {
        var rng = new Xoshiro256StarStar((ulong)seed);
        string path = Path.Combine(dir, "data.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, rows).Select(_ =>
        {
            int n = minLen + rng.NextInt(maxLen - minLen + 1), start = rng.NextInt(300), step = 1 + rng.NextInt(9);
            return "{\"tokens\":[" + string.Join(",", Enumerable.Range(0, n).Select(j => (start + j * step) % 300)) + "]}";
        }));
        return path;
    }

    /// <summary>The r1 CLI built next to this test assembly (the test project builds it without referencing it).</summary>
    public static string CliDll
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string path = Path.Combine(dir.Parent!.Parent!.FullName, "R1Sharp.Cli", dir.Name, "r1.dll");
            if (!File.Exists(path)) throw new FileNotFoundException("r1.dll not built next to the tests", path);
            return path;
        }
    }
}
