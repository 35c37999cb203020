using R1Sharp.Inference;
using R1Sharp.Inference.Batching;
using R1Sharp.Models;
using R1Sharp.Gguf;
using R1Sharp.Tokenization;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Server;

/// <summary>Creates the batching engine for <see cref="ServerOptions"/>: the model file (or the default model), its
/// slots, context and queue.</summary>
public static class EngineFactory
{
    public static IGenerationEngine Load(ServerOptions options)
    {
        // No path: $R1_MODEL or the bundled models/*.gguf.
        string path = DefaultModel.Resolve(options.ModelPath);
        var file = GgufFile.Open(path);
        try
        {
            var tokenizer = Tokenizer.FromGguf(file);
            ChatTemplate? template = file.GetString("tokenizer.chat_template") is not null ? ChatTemplate.FromGguf(file) : null;
            var model = ModelLoader.Load(file);
            string name = file.GetString("general.name") is { Length: > 0 } n ? n : Path.GetFileNameWithoutExtension(path);
            return new BatchingEngine(model, tokenizer, template, name, Options(options), new Owned(model, file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public static BatchingOptions Options(ServerOptions options) => new()
    {
        Slots = options.Parallel,
        ContextSize = options.CtxSize,
        QueueSize = options.QueueSize,
        DefaultTimeout = options.RequestTimeout,
    };

    private sealed class Owned(params IDisposable[] items) : IDisposable
    {
        public void Dispose() { foreach (var d in items) d.Dispose(); }
    }
}
