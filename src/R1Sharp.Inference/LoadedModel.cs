using R1Sharp.Models;
using R1Sharp.Gguf;
using R1Sharp.Tokenization;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Inference;

/// <summary>Everything needed to run a GGUF model: the mapped file, the network, its tokenizer and chat template.</summary>
public sealed class LoadedModel : IDisposable
{
    /// <summary>Used when a file carries no `tokenizer.chat_template`: DeepSeek-R1's turn markers.</summary>
    public const string FallbackTemplate =
        "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] }}" +
        "{% elif m['role'] == 'user' %}<｜User｜>{{ m['content'] }}" +
        "{% elif m['role'] == 'assistant' %}<｜Assistant｜>{{ m['content'] }}<｜end▁of▁sentence｜>{% endif %}{% endfor %}" +
        "{% if add_generation_prompt %}<｜Assistant｜><think>\n{% endif %}";

    private LoadedModel(string path, GgufFile file, ILanguageModel model, Tokenizer tokenizer, ChatTemplate template)
    {
        Path = path;
        File = file;
        Model = model;
        Tokenizer = tokenizer;
        Template = template;
        Name = file.GetString("general.name") is { Length: > 0 } n ? n : System.IO.Path.GetFileNameWithoutExtension(path);
    }

    /// <summary>The GGUF file's full path.</summary>
    public string Path { get; }
    /// <summary>GGUF <c>general.name</c>, else the file name without extension.</summary>
    public string Name { get; }
    /// <summary>The memory-mapped file (the weights are read from it).</summary>
    public GgufFile File { get; }
    /// <summary>The network.</summary>
    public ILanguageModel Model { get; }
    /// <summary>The model's tokenizer.</summary>
    public Tokenizer Tokenizer { get; }
    /// <summary>The file's chat template, or <see cref="FallbackTemplate"/>.</summary>
    public ChatTemplate Template { get; }

    /// <summary>Opens and loads a GGUF model. Errors (missing file, malformed GGUF, unsupported architecture) carry a clear message.</summary>
    public static LoadedModel Load(string path, ModelLoadOptions? options = null)
    {
        var file = GgufFile.Open(path);
        try
        {
            var tokenizer = Tokenizer.FromGguf(file);
            ChatTemplate template;
            if (file.GetString("tokenizer.chat_template") != null) template = ChatTemplate.FromGguf(file);
            else
            {
                string Text(int? id) => id is int i ? tokenizer.TokenText(i) : "";
                template = new ChatTemplate(FallbackTemplate, Text(tokenizer.BosId), Text(tokenizer.EosId));
            }
            var model = ModelLoader.Load(file, options);
            return new LoadedModel(file.Path, file, model, tokenizer, template);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Frees the network and unmaps the file.</summary>
    public void Dispose()
    {
        Model.Dispose();
        File.Dispose();
    }
}
