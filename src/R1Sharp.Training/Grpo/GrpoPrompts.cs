using System.Text.Json;
using R1Sharp.Evaluation;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Training.Grpo;

/// <summary>
/// Reads GRPO prompts from JSONL, one per line (blank lines skipped): <c>{"prompt": "...", "answer", "task"}</c> or
/// <c>{"messages": [...], "answer", "task"}</c> (the turns up to the last user turn are the prompt; a trailing
/// assistant turn, as `r1 data` writes, is the worked solution and is ignored), Countdown rows with "numbers" and
/// "target" (or the question's wording), GSM8K/MATH rows too. The answer, task and puzzle are read by the
/// evaluation's parser (<see cref="EvalDataset.Parse"/>), so training and `r1 eval` agree on what is correct.
/// </summary>
public static class GrpoPrompts
{
    public static List<GrpoPrompt> Load(string path, bool answerRequired)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file not found: {path}", path);
        var prompts = new List<GrpoPrompt>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            prompts.Add(Parse(line, lineNo, answerRequired, Path.GetFileName(path)));
        }
        if (prompts.Count == 0) throw new InvalidDataException($"{path}: no rows");
        return prompts;
    }

    public static GrpoPrompt Parse(string line, int lineNo, bool answerRequired, string file = "data")
    {
        string where = $"{file}:{lineNo}";
        JsonElement row;
        try
        {
            using var doc = JsonDocument.Parse(line);
            row = doc.RootElement.Clone();
        }
        catch (JsonException e) { throw new InvalidDataException($"{where}: malformed JSON ({e.Message.Split('.')[0]})"); }
        if (row.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where}: expected a JSON object with \"prompt\" or \"messages\"");
        EvalItem? item = null;
        try { item = EvalDataset.Parse(line, lineNo); }
        catch (FormatException) when (!answerRequired && !row.TryGetProperty("answer", out _))
        {
            // no answer: only rewards other than accuracy can score this row
        }
        catch (FormatException e) { throw new InvalidDataException($"{where}: {StripLine(e.Message)}"); }

        var messages = new List<PromptMessage>();
        if (row.TryGetProperty("messages", out var ms))
        {
            if (ms.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{where}: \"messages\" must be an array");
            foreach (var m in ms.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var r) || r.ValueKind != JsonValueKind.String
                    || !m.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{where}: each message needs a string \"role\" and \"content\"");
                messages.Add(new PromptMessage(r.GetString()!, c.GetString()!));
            }
            int lastUser = messages.FindLastIndex(m => m.Role == "user");
            if (lastUser < 0) throw new InvalidDataException($"{where}: no user message");
            messages.RemoveRange(lastUser + 1, messages.Count - lastUser - 1);
        }
        else if (row.TryGetProperty("prompt", out var p))
        {
            if (p.ValueKind != JsonValueKind.String || p.GetString()!.Length == 0) throw new InvalidDataException($"{where}: \"prompt\" must be a non-empty string");
            messages.Add(new PromptMessage("user", p.GetString()!));
        }
        else if (item is not null) messages.Add(new PromptMessage("user", item.Prompt(addInstruction: true)));
        else throw new InvalidDataException($"{where}: expected \"prompt\" or \"messages\"");
        if (answerRequired && item is null) throw new InvalidDataException($"{where}: no \"answer\" (the accuracy reward needs one)");
        return new GrpoPrompt(lineNo, messages, item, row.GetRawText());
    }

    private static string StripLine(string message) =>
        message.StartsWith("line ", StringComparison.Ordinal) && message.IndexOf(": ", StringComparison.Ordinal) is int i and > 0 ? message[(i + 2)..] : message;
}
