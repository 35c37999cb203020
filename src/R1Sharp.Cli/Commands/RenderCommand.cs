using System.CommandLine;
using System.Text;
using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Cli.Commands;

/// <summary>`r1 render --model M.gguf [--no-generation-prompt] &lt; messages.json`: prints the model's chat template
/// rendered for an OpenAI-style message array, exactly (UTF-8, no trailing newline added).</summary>
internal sealed class RenderCommand : ICliCommand
{
    public int Order => 62;

    public Command Build()
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF model file whose tokenizer.chat_template is rendered", Required = true };
        var noGen = new Option<bool>("--no-generation-prompt") { Description = "Do not append the assistant generation prompt" };
        var cmd = new Command("render", "Render a chat (OpenAI-style JSON message array on stdin) with the model's chat template") { model, noGen };
        cmd.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            if (!File.Exists(path)) return Fail($"model file not found: {path}");
            string input;
            using (var stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false))) input = stdin.ReadToEnd();
            List<object?> messages;
            try { messages = ParseMessages(input); }
            catch (Exception ex) when (ex is JsonException or FormatException) { return Fail("invalid messages JSON: " + ex.Message); }
            string rendered;
            try
            {
                using var file = GgufFile.Open(path);
                rendered = ChatTemplate.FromGguf(file).RenderValues(messages, addGenerationPrompt: !parse.GetValue(noGen));
            }
            catch (TemplateException ex) { return Fail(ex.Message); }
            catch (GgufFormatException ex) { return Fail(ex.Message); }
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(Encoding.UTF8.GetBytes(rendered));
            return 0;
        });
        return cmd;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("r1 render: " + message);
        return 1;
    }

    /// <summary>A JSON array of {role, content[, reasoning_content, tool_calls, ...]}; content may be a string, null or
    /// an array of {type:"text", text} parts (joined). Other fields are passed to the template as they are.</summary>
    public static List<object?> ParseMessages(string json)
    {
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new FormatException("expected a JSON array of messages");
        var messages = new List<object?>();
        foreach (var m in doc.RootElement.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object) throw new FormatException("each message must be a JSON object");
            if (!m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                throw new FormatException("each message needs a string \"role\"");
            var d = (JinjaDict)JinjaTemplate.FromJson(m)!;
            if (m.TryGetProperty("content", out var content)) d["content"] = ContentText(content);
            else d["content"] = null;
            messages.Add(d);
        }
        return messages;
    }

    private static string? ContentText(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString(),
        JsonValueKind.Null => null,
        JsonValueKind.Array => string.Concat(content.EnumerateArray()
            .Where(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("type", out var t) && t.GetString() == "text")
            .Select(p => p.TryGetProperty("text", out var x) ? x.GetString() : "")),
        _ => throw new FormatException("message content must be a string, null or an array of parts"),
    };
}
