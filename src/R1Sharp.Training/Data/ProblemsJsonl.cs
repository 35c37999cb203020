using System.Text.Encodings.Web;
using System.Text.Json;

namespace R1Sharp.Training.Data;

/// <summary>Row layouts for generated problems (all accepted by <c>r1 train sft</c>).</summary>
public enum ProblemRowFormat
{
    /// <summary><c>{"messages":[{"role":"user",...},{"role":"assistant",...}],"answer":"40","task":"add"}</c>: the chat template renders it.</summary>
    Messages,
    /// <summary><c>{"prompt": question, "completion": assistant content, "answer":"40"}</c>.</summary>
    PromptCompletion,
    /// <summary><c>{"text": question + "\n" + assistant content}</c>.</summary>
    Text,
    /// <summary>Not JSON: question, newline, assistant content, blank line (a tokenizer training corpus).</summary>
    Plain,
}

/// <summary>Writes generated problems as JSONL rows. Every JSON row carries "answer" and "task" (evaluation and GRPO
/// rewards pick their verifier by it); Countdown rows also carry "numbers" and "target".</summary>
public static class ProblemsJsonl
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One JSON object (no newline) for a problem; for <see cref="ProblemRowFormat.Plain"/> the raw text.</summary>
    /// <param name="renderPrompt">For <see cref="ProblemRowFormat.PromptCompletion"/>: turns the question into the
    /// prompt string (e.g. a chat template's rendering with the generation prompt); the completion then drops what
    /// the prompt already opened (a trailing "&lt;think&gt;\n").</param>
    public static string ToRow(GeneratedProblem p, ProblemRowFormat format = ProblemRowFormat.Messages, Func<string, string>? renderPrompt = null)
    {
        if (format == ProblemRowFormat.Plain) return p.Question + "\n" + p.AssistantContent + "\n";
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, WriterOptions))
        {
            w.WriteStartObject();
            switch (format)
            {
                case ProblemRowFormat.Messages:
                    w.WriteStartArray("messages");
                    w.WriteStartObject(); w.WriteString("role", "user"); w.WriteString("content", p.Question); w.WriteEndObject();
                    w.WriteStartObject(); w.WriteString("role", "assistant"); w.WriteString("content", p.AssistantContent); w.WriteEndObject();
                    w.WriteEndArray();
                    break;
                case ProblemRowFormat.PromptCompletion:
                {
                    string prompt = renderPrompt?.Invoke(p.Question) ?? p.Question, completion = p.AssistantContent;
                    foreach (string opened in (string[])["<think>\n", "<think>"])
                        if (prompt.EndsWith(opened, StringComparison.Ordinal) && completion.StartsWith(opened, StringComparison.Ordinal))
                        {
                            completion = completion[opened.Length..];
                            break;
                        }
                    w.WriteString("prompt", prompt);
                    w.WriteString("completion", completion);
                    break;
                }
                default:
                    w.WriteString("text", p.Question + "\n" + p.AssistantContent);
                    break;
            }
            w.WriteString("answer", p.Answer);
            w.WriteString("task", p.Task);
            if (p.Numbers != null)
            {
                w.WriteStartArray("numbers");
                foreach (int n in p.Numbers) w.WriteNumberValue(n);
                w.WriteEndArray();
            }
            if (p.Target is int target) w.WriteNumber("target", target);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Writes <paramref name="problems"/> one row per line; returns the number of rows.</summary>
    public static int Write(TextWriter writer, IEnumerable<GeneratedProblem> problems, ProblemRowFormat format = ProblemRowFormat.Messages,
                            Func<string, string>? renderPrompt = null)
    {
        int n = 0;
        foreach (var p in problems)
        {
            writer.Write(ToRow(p, format, renderPrompt));
            writer.Write('\n');
            n++;
        }
        return n;
    }
}
