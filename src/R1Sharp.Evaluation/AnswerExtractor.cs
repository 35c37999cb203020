using System.Text.RegularExpressions;

namespace R1Sharp.Evaluation;

/// <summary>Finds the final answer in a model's output or a dataset's ground truth.</summary>
public static partial class AnswerExtractor
{
    /// <summary>The phrase our bundled data ends with ("The answer is 40.").</summary>
    public const string AnswerPhrase = "The answer is";

    [GeneratedRegex(@"-?\$?\s*\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"answer is[:\s]*", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerIsPattern();

    /// <summary>The visible answer of a completion: the text after the last <c>&lt;/think&gt;</c>, or all of it when
    /// there is no closing tag (a model that never closed its reasoning still gets its last number read).</summary>
    public static string AnswerSection(string completion)
    {
        int i = completion.LastIndexOf("</think>", StringComparison.Ordinal);
        return i >= 0 ? completion[(i + "</think>".Length)..] : completion;
    }

    /// <summary>Contents of the last <c>\boxed{...}</c> (or <c>\fbox{...}</c>), braces matched; null if none.</summary>
    public static string? LastBoxed(string text)
    {
        int start = Math.Max(text.LastIndexOf("\\boxed", StringComparison.Ordinal), text.LastIndexOf("\\fbox", StringComparison.Ordinal));
        if (start < 0) return null;
        int i = start + (text.AsSpan(start).StartsWith("\\boxed") ? 6 : 5);
        while (i < text.Length && text[i] == ' ') i++;
        if (i >= text.Length) return null;
        if (text[i] != '{')
        {
            // "\boxed 5" form: up to the next space or '$'.
            int e = i;
            while (e < text.Length && text[e] != '$' && !char.IsWhiteSpace(text[e])) e++;
            return e > i ? text[i..e] : null;
        }
        int depth = 0;
        for (int j = i; j < text.Length; j++)
        {
            if (text[j] == '{') depth++;
            else if (text[j] == '}' && --depth == 0) return text[(i + 1)..j];
        }
        return null; // unbalanced: the box was never closed
    }

    /// <summary>The number following the last "answer is" (case-insensitive); null if none.</summary>
    public static string? AfterAnswerPhrase(string text)
    {
        var matches = AnswerIsPattern().Matches(text);
        for (int m = matches.Count - 1; m >= 0; m--)
        {
            string rest = text[(matches[m].Index + matches[m].Length)..];
            string? boxed = rest.TrimStart().StartsWith("\\boxed", StringComparison.Ordinal) ? LastBoxed(rest) : null;
            if (boxed != null) return boxed;
            var n = NumberPattern().Match(rest);
            // The number must come right after the phrase (allowing '$' or a space), not somewhere later.
            if (n.Success && rest[..n.Index].Trim().Trim('$', '*', '(').Length == 0) return CleanNumber(n.Value);
        }
        return null;
    }

    /// <summary>The last number in the text (commas and '$' dropped); null if none.</summary>
    public static string? LastNumber(string text)
    {
        var ms = NumberPattern().Matches(text);
        return ms.Count == 0 ? null : CleanNumber(ms[^1].Value);
    }

    /// <summary>GSM8K's ground truth: the text after "#### " (commas dropped).</summary>
    public static string? Gsm8kGold(string answer)
    {
        int i = answer.LastIndexOf("####", StringComparison.Ordinal);
        return i < 0 ? null : answer[(i + 4)..].Trim().Replace(",", "");
    }

    /// <summary>A model's final answer: \boxed{...} if present, else the number after "The answer is", else the
    /// last number of the answer section. Null when nothing answer-like is found.</summary>
    public static string? Extract(string completion)
    {
        string answer = AnswerSection(completion);
        return LastBoxed(answer) ?? AfterAnswerPhrase(answer) ?? LastNumber(answer);
    }

    /// <summary>An expression answer (Countdown): the contents of the last \boxed{...} of the answer section, else the
    /// rest of the line after the last "answer is" (markdown emphasis, '$' and a final period dropped; the verifier
    /// normalizes the rest). Null when neither is there.</summary>
    public static string? ExtractExpression(string completion)
    {
        string answer = AnswerSection(completion);
        if (LastBoxed(answer) is string boxed) return boxed.Trim();
        var matches = AnswerIsPattern().Matches(answer);
        if (matches.Count == 0) return null;
        var last = matches[^1];
        string rest = answer[(last.Index + last.Length)..];
        int eol = rest.IndexOf('\n');
        if (eol >= 0) rest = rest[..eol];
        rest = rest.Replace("**", "").Replace("$", "").Trim();
        while (rest.EndsWith('.')) rest = rest[..^1].TrimEnd();
        return rest.Length == 0 ? null : rest;
    }

    private static string CleanNumber(string s)
    {
        s = s.Replace(",", "").Replace("$", "").Replace(" ", "");
        return s;
    }
}
