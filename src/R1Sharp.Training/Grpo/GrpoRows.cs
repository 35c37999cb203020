using System.Text.Json;
using R1Sharp.Training.Data;

namespace R1Sharp.Training.Grpo;

/// <summary>
/// Reads scored completions from JSONL, one per line (blank lines skipped):
/// {"prompt": [ids], "completion": [ids], "reward": r, "group": g} with g an integer naming the prompt's group.
/// Every error names the file and line (bad JSON or fields, ids outside the vocabulary, rows longer than the context,
/// completions longer than the limit).
/// </summary>
public static class GrpoRows
{
    public static List<GrpoRow> Load(string path, int vocabSize, int contextLength, int maxCompletionLength = int.MaxValue)
    {
        var rows = JsonlReader.Read(path, (e, where, line) =>
        {
            var row = Parse(e, where, line);
            foreach (int id in row.Sequence())
                if ((uint)id >= (uint)vocabSize)
                    throw new InvalidDataException($"{where}: token id {id} is outside the vocabulary (size {vocabSize})");
            int length = row.Prompt.Length + row.Completion.Length;
            if (length > contextLength)
                throw new InvalidDataException($"{where}: prompt and completion have {length} tokens, longer than the context of {contextLength}");
            if (row.Completion.Length > maxCompletionLength)
                throw new InvalidDataException($"{where}: completion of {row.Completion.Length} tokens is longer than max-completion-length {maxCompletionLength}");
            return row;
        });
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no rows");
        return rows;
    }

    private static GrpoRow Parse(JsonElement e, string where, int line)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where}: expected a JSON object with \"prompt\", \"completion\", \"reward\" and \"group\"");
        int[] prompt = Ids(e, "prompt", where), completion = Ids(e, "completion", where);
        if (!e.TryGetProperty("reward", out var reward) || reward.ValueKind != JsonValueKind.Number || !double.IsFinite(reward.GetDouble()))
            throw new InvalidDataException($"{where}: \"reward\" must be a finite number");
        if (!e.TryGetProperty("group", out var group) || group.ValueKind != JsonValueKind.Number || !group.TryGetInt32(out int g))
            throw new InvalidDataException($"{where}: \"group\" must be an integer (the id shared by the completions of one prompt)");
        return new GrpoRow(prompt, completion, reward.GetDouble(), g, Line: line);
    }

    private static int[] Ids(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var a) || a.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{where}: \"{name}\" must be an array of token ids");
        var ids = new int[a.GetArrayLength()];
        int i = 0;
        foreach (var t in a.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out int id))
                throw new InvalidDataException($"{where}: \"{name}\" must be an array of integer token ids");
            ids[i++] = id;
        }
        if (ids.Length == 0) throw new InvalidDataException($"{where}: \"{name}\" is empty (a row needs at least one prompt and one completion token)");
        return ids;
    }
}
