using R1Sharp.Gguf;
using R1Sharp.Tokenization;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Training.Data;

/// <summary>Builds the data loader's <see cref="ITextEncoder"/> from a GGUF file's tokenizer and chat template.</summary>
public static class TextEncoders
{
    /// <summary>Null when the file carries no tokenizer (then text rows get a clear error).</summary>
    public static ITextEncoder? FromGguf(GgufFile file)
    {
        if (file.GetString("tokenizer.ggml.model") == null) return null;
        var tok = Tokenizer.FromGguf(file);
        ChatTemplate? template = file.GetString("tokenizer.chat_template") != null ? ChatTemplate.FromGguf(file) : null;
        return new GgufTextEncoder(tok, template);
    }

    private sealed class GgufTextEncoder(Tokenizer tok, ChatTemplate? template) : ITextEncoder
    {
        public int? EosId => tok.EosId;

        // Special tokens written in the text (a rendered template's BOS, <think>) become their ids; a BOS is
        // prepended only when the model asks for one and the text does not already start with it.
        public int[] Encode(string text, bool addBos)
        {
            int[] ids = tok.Encode(text, addBos: false, parseSpecial: true);
            if (addBos && tok.AddBos && tok.BosId is int bos && (ids.Length == 0 || ids[0] != bos)) ids = [bos, .. ids];
            return ids;
        }

        public string RenderChat(IReadOnlyList<(string Role, string Content)> messages, bool addGenerationPrompt) =>
            (template ?? throw new InvalidDataException("the model has no chat template (tokenizer.chat_template) for \"messages\" rows"))
                .Render(messages.Select(m => new ChatMessage(m.Role, m.Content)).ToList(), addGenerationPrompt);
    }
}
