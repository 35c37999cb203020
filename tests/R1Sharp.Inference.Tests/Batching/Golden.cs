using R1Sharp.Gguf;
using R1Sharp.Inference.Batching;
using R1Sharp.TestSupport;
using R1Sharp.Tokenization;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Inference.Tests.Batching;

/// <summary>The vocabulary (R1's special tokens, &lt;think&gt; and &lt;/think&gt; single tokens) and the R1-Distill chat
/// template of the golden random-weight models, and engines over a scripted model with them.</summary>
internal static class Golden
{
    public static readonly string QwenPath = Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf");
    public static readonly Tokenizer Tokenizer = Tokenizer.FromGguf(QwenPath);
    public static readonly ChatTemplate Template = LoadTemplate();

    private static ChatTemplate LoadTemplate()
    {
        using var file = GgufFile.Open(QwenPath);
        return ChatTemplate.FromGguf(file);
    }

    public static int Id(string text) => Tokenizer.FindToken(text) is int special ? special : Tokenizer.Encode(text) switch
    {
        [int single] => single,
        var ids => throw new ArgumentException($"'{text}' is {ids.Length} tokens"),
    };

    public static int Open => Id("<think>");
    public static int Close => Id("</think>");
    public static int Eos => Tokenizer.EosId!.Value;

    public static (BatchingEngine Engine, ScriptedModel Model) Scripted(ChatTemplate? template = null, int slots = 1, Tokenizer? tokenizer = null)
    {
        tokenizer ??= Tokenizer;
        var model = new ScriptedModel(tokenizer.VocabSize);
        return (new BatchingEngine(model, tokenizer, template ?? Template, "scripted", new BatchingOptions { Slots = slots, ContextSize = 32768 }), model);
    }
}
