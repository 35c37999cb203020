using System.Text.Json;

namespace R1Sharp.Training;

/// <summary>A trainer's JSONL log, one object with a "step" per optimizer step.</summary>
public static class StepLog
{
    /// <summary>Opens the log for appending; lines of steps after <paramref name="step"/> (work a kill lost, redone on
    /// resume) are dropped first.</summary>
    public static StreamWriter Open(string path, int step)
    {
        if (File.Exists(path))
        {
            var keep = File.ReadAllLines(path).Where(l => StepOf(l) is int s && s <= step).ToList();
            string tmp = path + ".tmp";
            File.WriteAllLines(tmp, keep);
            File.Move(tmp, path, overwrite: true);
        }
        else if (Path.GetDirectoryName(Path.GetFullPath(path)) is string d) Directory.CreateDirectory(d);
        return new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
    }

    /// <summary>The "step" of a log line; null for a line that is not a complete JSON object with one.</summary>
    public static int? StepOf(string line)
    {
        try
        {
            using var d = JsonDocument.Parse(line);
            return d.RootElement.GetProperty("step").GetInt32();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException) { return null; }
    }
}
