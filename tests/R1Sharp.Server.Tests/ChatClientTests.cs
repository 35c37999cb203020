using Microsoft.Extensions.AI;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.ChatClient;
using R1Sharp.TestSupport;

namespace R1Sharp.Server.Tests;

/// <summary>The in-process IChatClient over the real batching engine on the tiny qwen2 fixture.</summary>
public sealed class ChatClientTests
{
    [Fact]
    public async Task ReasoningComesAsTextReasoningContentWithUsageAndStreamingAgrees()
    {
        var engine = EngineFactory.Load(new ServerOptions { ModelPath = Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf"), Parallel = 2, CtxSize = 256 });
        using IChatClient client = new R1ChatClient(engine, ownsEngine: true);
        var options = new ChatOptions
        {
            Temperature = 0,
            MaxOutputTokens = 14,
            AdditionalProperties = new() { ["thinking_budget"] = 5, ["ignore_eos"] = true },
        };
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "What is 12 * 25?")], options);
        var contents = response.Messages.SelectMany(m => m.Contents).ToList();
        string reasoning = string.Concat(contents.OfType<TextReasoningContent>().Select(c => c.Text));
        Assert.NotEmpty(reasoning);
        Assert.DoesNotContain("think>", reasoning + response.Text);
        Assert.Equal(14, response.Usage!.OutputTokenCount);
        Assert.Equal(5, response.Usage.ReasoningTokenCount);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);

        string streamedReasoning = "", streamedText = "";
        bool textSeen = false;
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "What is 12 * 25?")], options))
            foreach (var c in update.Contents)
                if (c is TextReasoningContent r) { Assert.False(textSeen); streamedReasoning += r.Text; }
                else if (c is TextContent t) { textSeen = true; streamedText += t.Text; }
        Assert.Equal(reasoning, streamedReasoning);
        Assert.Equal(response.Text, streamedText);
    }

    [Fact]
    public async Task EffortNoneSkipsThinking()
    {
        var engine = EngineFactory.Load(new ServerOptions { ModelPath = Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf"), Parallel = 1, CtxSize = 256 });
        using IChatClient client = new R1ChatClient(engine, ownsEngine: true);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 8, Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None },
                AdditionalProperties = new() { ["ignore_eos"] = true } });
        Assert.DoesNotContain(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>(), c => c.Text.Length > 0);
        Assert.Equal(0, response.Usage!.ReasoningTokenCount);
        Assert.NotEmpty(response.Text);
    }
}
