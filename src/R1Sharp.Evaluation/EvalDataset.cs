using System.Text.Json;

namespace R1Sharp.Evaluation;

/// <summary>Where a problem came from; decides the prompt suffix and how the gold answer was read.</summary>
public enum EvalSource { Chat, Gsm8k, Math }

/// <summary>One evaluation problem: the user prompt to send and the gold final answer.</summary>
public sealed record EvalItem(int Line, EvalSource Source, string Question, string Gold)
{
    /// <summary>The row's task ("add", "countdown3", ...; null when the row names none): <see cref="AnswerVerifier"/>
    /// checks Countdown tasks with <see cref="CountdownVerifier"/>, all others by their exact final answer.</summary>
    public string? Task { get; init; }

    /// <summary>Countdown rows: the numbers and the target (Gold is then one reference expression).</summary>
    public CountdownPuzzle? Countdown { get; init; }

    /// <summary>The R1 paper's instruction for math benchmarks (its recommended usage puts it in the user turn).</summary>
    public const string BoxedInstruction = "Please reason step by step, and put your final answer within \\boxed{}.";

    /// <summary>The user message: the question, plus the boxed-answer instruction for GSM8K and MATH.</summary>
    public string Prompt(bool addInstruction) => addInstruction && Source != EvalSource.Chat ? Question + "\n" + BoxedInstruction : Question;
}

/// <summary>Loads evaluation JSONL. Recognized rows:
/// <c>{"messages":[...user..., ...assistant...], "answer"?, "task"?}</c> (our generated splits: gold is "answer" or the
/// number after "The answer is" in the assistant turn), <c>{"prompt", "completion"|"answer", "task"?}</c>, GSM8K's
/// <c>{"question", "answer": "... #### 18"}</c> and MATH's <c>{"problem", "answer"}</c>. A Countdown row (task
/// "countdown...", or no task and a question in the Countdown wording) takes its puzzle from "numbers" and "target",
/// else from the question.</summary>
public static class EvalDataset
{
    public static IReadOnlyList<EvalItem> Load(string path, int? limit = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file not found: {path}", path);
        var items = new List<EvalItem>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (limit is int l && items.Count >= l) break;
            items.Add(Parse(line, lineNo));
        }
        return items;
    }

    public static EvalItem Parse(string line, int lineNo)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { throw new FormatException($"line {lineNo}: not valid JSON ({e.Message})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"line {lineNo}: expected a JSON object");
            string? answer = Str(root, "answer");
            if (root.TryGetProperty("messages", out var msgs) && msgs.ValueKind == JsonValueKind.Array)
            {
                string? question = null, assistant = null;
                foreach (var m in msgs.EnumerateArray())
                {
                    string? role = Str(m, "role"), content = Str(m, "content");
                    if (role == "user") question = content;          // the last user turn before the answer
                    else if (role == "assistant") assistant = content;
                }
                if (question is null) throw new FormatException($"line {lineNo}: no user message");
                string? gold = answer ?? (assistant is null ? null
                    : IsCountdownRow(root, question) ? AnswerExtractor.ExtractExpression(assistant)
                    : AnswerExtractor.AfterAnswerPhrase(AnswerExtractor.AnswerSection(assistant)));
                return WithTask(new EvalItem(lineNo, EvalSource.Chat, question, gold ?? throw new FormatException($"line {lineNo}: no \"answer\" and no \"The answer is\" in the assistant turn")), root);
            }
            if (Str(root, "question") is string q && answer is not null)
                return new EvalItem(lineNo, EvalSource.Gsm8k, q, AnswerExtractor.Gsm8kGold(answer) ?? answer.Trim());
            if (Str(root, "problem") is string p && answer is not null)
                return new EvalItem(lineNo, EvalSource.Math, p, answer);
            if (Str(root, "prompt") is string pr)
            {
                string? gold = answer ?? (Str(root, "completion") is string c
                    ? IsCountdownRow(root, pr) ? AnswerExtractor.ExtractExpression(c) : AnswerExtractor.Extract(c) : null);
                return WithTask(new EvalItem(lineNo, EvalSource.Chat, pr, gold ?? throw new FormatException($"line {lineNo}: no answer in the row")), root);
            }
            throw new FormatException($"line {lineNo}: unrecognized row (expected messages, question/answer, problem/answer or prompt/completion)");
        }
    }

    private static bool IsCountdownRow(JsonElement row, string question) => Str(row, "task") is string task
        ? AnswerVerifier.IsCountdownTask(task)
        : CountdownPuzzle.TryParse(question) != null;

    /// <summary>Adds the row's task (and, for Countdown, the puzzle) to a chat-style item.</summary>
    private static EvalItem WithTask(EvalItem item, JsonElement row)
    {
        string? task = Str(row, "task");
        if (task is null && CountdownPuzzle.TryParse(item.Question) != null) task = "countdown";
        if (task is null || !AnswerVerifier.IsCountdownTask(task)) return item with { Task = task };
        CountdownPuzzle? puzzle = null;
        if (row.TryGetProperty("numbers", out var ns) && ns.ValueKind == JsonValueKind.Array && row.TryGetProperty("target", out var t)
            && t.TryGetInt64(out long target))
        {
            var numbers = new List<int>();
            foreach (var n in ns.EnumerateArray())
                numbers.Add(n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out int v) ? v
                    : throw new FormatException($"line {item.Line}: \"numbers\" must be an array of integers"));
            puzzle = new CountdownPuzzle(numbers, target);
        }
        puzzle ??= CountdownPuzzle.TryParse(item.Question)
            ?? throw new FormatException($"line {item.Line}: a Countdown row needs \"numbers\" and \"target\", or a question \"Using the numbers ..., make N.\"");
        return item with { Task = task, Countdown = puzzle };
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Number => v.GetRawText(), _ => null }
            : null;
}
