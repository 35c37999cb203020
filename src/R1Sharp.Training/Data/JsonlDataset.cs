using System.Text.Json;

namespace R1Sharp.Training.Data;

/// <summary>
/// Reads training rows from JSONL, one JSON object per line (blank lines skipped):
/// {"tokens":[ids]} trains on every next token; {"text":"..."} likewise after tokenizing;
/// {"prompt":"...","completion":"..."} trains on the completion (and EOS); {"messages":[{"role","content"},...]}
/// renders the chat template and trains on the assistant turns (spans found by rendering prefixes).
/// Every error names the file and line.
/// </summary>
public static class JsonlDataset
{
    public static List<TrainingExample> Load(string path, int vocabSize, int maxTokens, ITextEncoder? encoder = null)
    {
        var rows = JsonlReader.Read(path, (e, where, line) =>
        {
            var ex = Parse(e, encoder, where) with { Line = line };
            if (ex.Tokens.Length < 2) throw new InvalidDataException($"{where}: a row needs at least 2 tokens, it has {ex.Tokens.Length}");
            if (ex.Tokens.Length > maxTokens)
                throw new InvalidDataException($"{where}: the sequence has {ex.Tokens.Length} tokens, longer than the context of {maxTokens}");
            for (int i = 0; i < ex.Tokens.Length; i++)
                if ((uint)ex.Tokens[i] >= (uint)vocabSize)
                    throw new InvalidDataException($"{where}: token id {ex.Tokens[i]} is outside the vocabulary (size {vocabSize})");
            if (ex.Weights != null && ex.Weights.All(w => w == 0))
                throw new InvalidDataException($"{where}: the row has no trained tokens");
            return ex;
        });
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no training rows");
        return rows;
    }

    private static TrainingExample Parse(JsonElement e, ITextEncoder? enc, string where)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where}: expected a JSON object");
        if (e.TryGetProperty("tokens", out var toks))
        {
            if (toks.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{where}: \"tokens\" must be an array of integers");
            var ids = new int[toks.GetArrayLength()];
            int i = 0;
            foreach (var t in toks.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out int id))
                    throw new InvalidDataException($"{where}: \"tokens\" must be an array of integers");
                ids[i++] = id;
            }
            float[]? weights = null;
            if (e.TryGetProperty("weights", out var ws))
            {
                if (ws.ValueKind != JsonValueKind.Array || ws.GetArrayLength() != ids.Length - 1)
                    throw new InvalidDataException($"{where}: \"weights\" must be an array of {ids.Length - 1} numbers (one per predicted token)");
                weights = ws.EnumerateArray().Select(w => w.ValueKind == JsonValueKind.Number ? w.GetSingle()
                    : throw new InvalidDataException($"{where}: \"weights\" must hold numbers")).ToArray();
            }
            return new TrainingExample(ids, weights);
        }
        if (e.TryGetProperty("text", out var text))
        {
            var enc1 = Need(enc, where);
            return new TrainingExample(enc1.Encode(Str(text, "text", where), addBos: true), null);
        }
        if (e.TryGetProperty("prompt", out var prompt))
        {
            var enc1 = Need(enc, where);
            if (!e.TryGetProperty("completion", out var completion)) throw new InvalidDataException($"{where}: \"prompt\" without \"completion\"");
            int[] p = enc1.Encode(Str(prompt, "prompt", where), addBos: true);
            int[] c = enc1.Encode(Str(completion, "completion", where), addBos: false);
            var ids = p.Concat(c).Concat(enc1.EosId is int eos ? [eos] : Array.Empty<int>()).ToArray();
            var w = new float[ids.Length - 1];
            for (int i = p.Length - 1; i < w.Length; i++) w[i] = 1;
            return new TrainingExample(ids, w);
        }
        if (e.TryGetProperty("messages", out var msgs))
        {
            var enc1 = Need(enc, where);
            if (msgs.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{where}: \"messages\" must be an array");
            var list = new List<(string Role, string Content)>();
            foreach (var m in msgs.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var role) || !m.TryGetProperty("content", out var content))
                    throw new InvalidDataException($"{where}: each message needs \"role\" and \"content\"");
                list.Add((Str(role, "role", where), Str(content, "content", where)));
            }
            return ChatExample(list, enc1, where);
        }
        throw new InvalidDataException($"{where}: a row needs \"tokens\", \"text\", \"prompt\"/\"completion\" or \"messages\"");
    }

    /// <summary>
    /// Tokens of the full rendering; the weight is 1 on the tokens each assistant turn adds. Turn i's span starts where
    /// the rendering of the turns before it with the generation prompt stops agreeing with the full rendering (R1's
    /// prompt ends in "&lt;think&gt;\n", which the history form of a turn may not repeat) and ends at the end of the
    /// rendering that includes turn i; character offsets become token offsets by tokenizing the prefixes.
    /// (R1-family templates drop the reasoning of assistant turns in "messages"; to train the thinking, use
    /// {"prompt","completion"} rows with the prompt rendered by the template.)
    /// </summary>
    private static TrainingExample ChatExample(List<(string Role, string Content)> msgs, ITextEncoder enc, string where)
    {
        if (!msgs.Any(m => m.Role == "assistant")) throw new InvalidDataException($"{where}: the conversation has no assistant turn to train on");
        string full = enc.RenderChat(msgs, addGenerationPrompt: false);
        int[] ids = enc.Encode(full, addBos: true);
        var w = new float[ids.Length - 1];
        for (int i = 0; i < msgs.Count; i++)
        {
            if (msgs[i].Role != "assistant") continue;
            string before = enc.RenderChat(msgs.Take(i).ToList(), addGenerationPrompt: true);
            string after = enc.RenderChat(msgs.Take(i + 1).ToList(), addGenerationPrompt: false);
            if (!full.StartsWith(after, StringComparison.Ordinal))
                throw new InvalidDataException($"{where}: the chat template renders turn {i + 1} differently once later turns follow; cannot locate its tokens");
            int common = 0;
            while (common < before.Length && common < after.Length && before[common] == after[common]) common++;
            int start = enc.Encode(full[..common], addBos: true).Length, end = enc.Encode(after, addBos: true).Length;
            for (int k = Math.Max(start, 1); k < end && k < ids.Length; k++) w[k - 1] = 1;
        }
        return new TrainingExample(ids, w);
    }

    private static ITextEncoder Need(ITextEncoder? enc, string where) =>
        enc ?? throw new InvalidDataException($"{where}: text rows need the model's tokenizer, which this model does not carry");

    private static string Str(JsonElement e, string name, string where) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new InvalidDataException($"{where}: \"{name}\" must be a string");
}
