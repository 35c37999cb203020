using System.Net.Http.Json;
using R1Sharp.Gguf;
using R1Sharp.Inference;
using R1Sharp.Inference.Batching;
using R1Sharp.TestSupport;

namespace R1Sharp.Server.Tests;

/// <summary>The server loads models the way `r1 run` does (one loader): a GGUF without a chat template gets R1's
/// fallback template instead of failing.</summary>
public sealed class EngineFactoryTests
{
    [Fact]
    public async Task AModelWithoutAChatTemplateServesChatWithR1sFallback()
    {
        string path = Path.Combine(Path.GetTempPath(), $"r1-no-template-{Guid.NewGuid():N}.gguf");
        try
        {
            using (var source = GgufFile.Open(Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf")))
            {
                var writer = new GgufWriter().CopyMetadata(source, key => key != "tokenizer.chat_template");
                foreach (var t in source.Tensors) writer.AddTensor(t.Name, t.Type, t.Dimensions, source.GetTensorBytes(t).ToArray());
                writer.Write(path);
            }
            using (var engine = EngineFactory.Load(new ServerOptions { ModelPath = path, Parallel = 1 }))
            {
                var prompt = engine.PrepareChat([new PromptMessage("user", "hi")]);
                Assert.True(prompt.StartsInReasoning);
                Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜><think>\n", engine.Detokenize(prompt.Tokens));
            }
            await using var server = await TestServer.StartAsync(new ServerOptions { ModelPath = path });
            var response = await server.Http.PostAsJsonAsync("/v1/chat/completions",
                new { messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 4, temperature = 0 });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
