using R1Sharp.Gguf;

namespace R1Sharp.Tokenization.Templates;

/// <summary>A model's chat template (<c>tokenizer.chat_template</c>), rendered like HF transformers'
/// <c>apply_chat_template(messages, tokenize=False, add_generation_prompt=...)</c>: jinja2 with trim_blocks and
/// lstrip_blocks, variables <c>messages</c>, <c>add_generation_prompt</c>, <c>bos_token</c>, <c>eos_token</c>,
/// <c>tools</c>/<c>documents</c> (None unless given), globals <c>raise_exception</c> and <c>strftime_now</c>, and
/// <c>tojson</c> as json.dumps(ensure_ascii=False).</summary>
public sealed class ChatTemplate
{
    private readonly JinjaTemplate _template;

    /// <param name="options">whitespace settings and limits (default: transformers' environment, <see cref="TemplateLimits.Default"/>)</param>
    public ChatTemplate(string source, string bosToken = "", string eosToken = "", JinjaOptions? options = null)
    {
        Source = source;
        BosToken = bosToken;
        EosToken = eosToken;
        _template = new JinjaTemplate(source, options);
    }

    public string Source { get; }
    public string BosToken { get; }
    public string EosToken { get; }

    /// <summary>The template of a GGUF file, with bos_token/eos_token taken from its vocabulary.</summary>
    public static ChatTemplate FromGguf(GgufFile file, JinjaOptions? options = null)
    {
        string source = file.GetString("tokenizer.chat_template")
            ?? throw new TemplateException($"{file.Path}: no tokenizer.chat_template in the file");
        var tokens = file.GetStringArray("tokenizer.ggml.tokens");
        string TokenText(string key)
        {
            long? id = file.GetInteger(key);
            return id is { } i && tokens != null && i >= 0 && i < tokens.Length ? tokens[i] : "";
        }
        return new ChatTemplate(source, TokenText("tokenizer.ggml.bos_token_id"), TokenText("tokenizer.ggml.eos_token_id"), options);
    }

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true,
                         IReadOnlyDictionary<string, object?>? extraVariables = null) =>
        RenderValues(messages.Select(m => JinjaTemplate.ToValue(m)).ToList(), addGenerationPrompt, extraVariables);

    /// <summary>Renders messages given as template values (e.g. parsed JSON with tool_calls); see <see cref="JinjaTemplate.FromJson"/>.</summary>
    public string RenderValues(List<object?> messages, bool addGenerationPrompt = true,
                               IReadOnlyDictionary<string, object?>? extraVariables = null)
    {
        var vars = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages,
            ["tools"] = null,
            ["documents"] = null,
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = BosToken,
            ["eos_token"] = EosToken,
        };
        if (extraVariables != null) foreach (var kv in extraVariables) vars[kv.Key] = kv.Value;
        return _template.Render(vars);
    }
}
