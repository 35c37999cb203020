using R1Sharp.Gguf;
using R1Sharp.Tokenization;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Fuzz;

/// <summary>Tokenizer and chat template loading from hostile vocabulary metadata (tokens, types, merges, special ids,
/// pre-tokenizer, template): a GgufFormatException or TemplateException, or a tokenizer that encodes and decodes any
/// text and whose streaming decoder agrees with its decoder.</summary>
public sealed class VocabTarget : FuzzTarget
{
    public override string Name => "vocab";

    public override FuzzInput Generate(Random rng) => ModelLoaderTarget.Structured(GgufSeed.All[rng.Next(GgufSeed.All.Count)], rng, vocabulary: true);

    public override void Execute(FuzzInput input)
    {
        string path = ScratchPath(".gguf");
        File.WriteAllBytes(path, input.Bytes!);
        using var f = GgufFile.Open(path);
        var rng = new Random(input.Variant);
        var tok = Tokenizer.FromGguf(f);
        for (int k = 0; k < 3; k++)
        {
            string text = TextGenerator.Text(rng, rng.Next(200));
            var ids = tok.Encode(text, addBos: rng.Next(2) == 0, parseSpecial: rng.Next(2) == 0);
            TokenizerTextTarget.CheckStreaming(tok, ids, skipSpecial: rng.Next(2) == 0);
        }
        var random = Enumerable.Range(0, 50).Select(_ => rng.Next(tok.VocabSize)).ToArray();
        TokenizerTextTarget.CheckStreaming(tok, random, skipSpecial: false);
        if (f.GetString("tokenizer.chat_template") != null)
        {
            var template = ChatTemplate.FromGguf(f, JinjaTarget.FuzzOptions);
            template.Render([new ChatMessage("system", "s"), new ChatMessage("user", TextGenerator.Text(rng, 20)), new ChatMessage("assistant", "<think>x</think>y")]);
        }
    }

    public override bool IsExpected(Exception e) => e is GgufFormatException or TemplateException;
}
