using System.Text.Json;

namespace R1Sharp.Training.Data;

/// <summary>
/// Reads a JSONL file: each non-blank line is one JSON value, handed to a parser with its location ("file:line")
/// and line number. A missing file and malformed JSON are one-line errors; parsers report theirs with the location.
/// </summary>
internal static class JsonlReader
{
    public static List<T> Read<T>(string path, Func<JsonElement, string, int, T> parse)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file not found: {path}");
        var rows = new List<T>();
        int line = 0;
        foreach (string raw in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            string where = $"{Path.GetFileName(path)}:{line}";
            try
            {
                using var doc = JsonDocument.Parse(raw);
                rows.Add(parse(doc.RootElement, where, line));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{where}: malformed JSON ({e.Message.Split('.')[0]})");
            }
        }
        return rows;
    }
}
