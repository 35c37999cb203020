using System.Text.Json;

namespace R1Sharp.Evaluation;

/// <summary>Where a problem came from; decides the prompt suffix and how the gold answer was read.</summary>
public enum EvalSource { Chat, Gsm8k, Math }

/// <summary>One evaluation problem: the user prompt to send and the gold final answer.</summary>
public sealed record EvalItem(int Line, EvalSource Source, string Question, string Gold)
{
    /// <summary>The R1 paper's instruction for math benchmarks (its recommended usage puts it in the user turn).</summary>
    public const string BoxedInstruction = "Please reason step by step, and put your final answer within \\boxed{}.";

    /// <summary>The user message: the question, plus the boxed-answer instruction for GSM8K and MATH.</summary>
    public string Prompt(bool addInstruction) => addInstruction && Source != EvalSource.Chat ? Question + "\n" + BoxedInstruction : Question;
}

/// <summary>Loads evaluation JSONL. Recognized rows:
/// <c>{"messages":[...user..., ...assistant...], "answer"?}</c> (our arithmetic split: gold is "answer" or the number
/// after "The answer is" in the assistant turn), <c>{"prompt", "completion"|"answer"}</c>, GSM8K's
/// <c>{"question", "answer": "... #### 18"}</c> and MATH's <c>{"problem", "answer"}</c>.</summary>
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
                string? gold = answer ?? (assistant is null ? null : AnswerExtractor.AfterAnswerPhrase(AnswerExtractor.AnswerSection(assistant)));
                return new EvalItem(lineNo, EvalSource.Chat, question, gold ?? throw new FormatException($"line {lineNo}: no \"answer\" and no \"The answer is\" in the assistant turn"));
            }
            if (Str(root, "question") is string q && answer is not null)
                return new EvalItem(lineNo, EvalSource.Gsm8k, q, AnswerExtractor.Gsm8kGold(answer) ?? answer.Trim());
            if (Str(root, "problem") is string p && answer is not null)
                return new EvalItem(lineNo, EvalSource.Math, p, answer);
            if (Str(root, "prompt") is string pr)
            {
                string? gold = answer ?? (Str(root, "completion") is string c ? AnswerExtractor.Extract(c) : null);
                return new EvalItem(lineNo, EvalSource.Chat, pr, gold ?? throw new FormatException($"line {lineNo}: no answer in the row"));
            }
            throw new FormatException($"line {lineNo}: unrecognized row (expected messages, question/answer, problem/answer or prompt/completion)");
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Number => v.GetRawText(), _ => null }
            : null;
}
