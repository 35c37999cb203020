using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using R1Sharp.TestSupport;

namespace R1Sharp.Server.Tests;

/// <summary>
/// The whole stack (HTTP, batching engine, model) on the tiny random-weight qwen2 fixture, whose R1-Distill template
/// opens &lt;think&gt; in the prompt: everything generated is reasoning until the engine closes the thought at the
/// thinking budget, so the split is deterministic at temperature 0.
/// </summary>
public sealed class RealModelTests
{
    private static readonly string ModelPath = Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf");
    private const string Question = "What is 12 * 25? Think step by step.";

    private static Task<TestServer> Start(int parallel = 2, int ctx = 512) =>
        TestServer.StartAsync(new ServerOptions { ModelPath = ModelPath, Parallel = parallel, CtxSize = ctx });

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string ChatBody(string extra, string question = Question) =>
        $$"""{"messages":[{"role":"user","content":{{JsonSerializer.Serialize(question)}}}],"temperature":0,"ignore_eos":true{{extra}}}""";

    private static async Task<JsonElement> PostJson(TestServer server, string path, string body)
    {
        var response = await server.Http.PostAsync(path, Json(body));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task ThinkingBudgetSplitsReasoningFromAnswerWithExactUsage()
    {
        await using var server = await Start();
        var root = await PostJson(server, "/v1/chat/completions", ChatBody(""","thinking_budget":6,"max_tokens":20"""));
        var message = root.GetProperty("choices")[0].GetProperty("message");
        string reasoning = message.GetProperty("reasoning_content").GetString()!;
        string content = message.GetProperty("content").GetString()!;
        Assert.NotEmpty(reasoning);
        Assert.DoesNotContain("think>", reasoning + content);
        var usage = root.GetProperty("usage");
        // llama.cpp's tokenization of this chat (manifest) has 33 tokens.
        Assert.Equal(33, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(20, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(6, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        Assert.Equal("length", root.GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        // Independent check of the reasoning text: the raw completion of the rendered prompt (no split) for 6 tokens.
        string rendered = "<｜begin▁of▁sentence｜><｜User｜>" + Question + "<｜Assistant｜><think>\n";
        var raw = await PostJson(server, "/v1/completions",
            $$"""{"prompt":{{JsonSerializer.Serialize(rendered)}},"temperature":0,"max_tokens":6,"ignore_eos":true}""");
        Assert.Equal(raw.GetProperty("choices")[0].GetProperty("text").GetString()!.Trim(), reasoning.Trim());
        Assert.Equal(33, raw.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task StreamingAndNonStreamingGiveTheSameTextAndReasoningComesFirst()
    {
        await using var server = await Start();
        string body = ChatBody(""","thinking_budget":5,"max_tokens":16""");
        var whole = await PostJson(server, "/v1/chat/completions", body);
        var message = whole.GetProperty("choices")[0].GetProperty("message");

        var response = await server.Http.PostAsync("/v1/chat/completions", Json(body[..^1] + ""","stream":true,"stream_options":{"include_usage":true}}"""));
        string sse = await response.Content.ReadAsStringAsync();
        string reasoning = "", content = "";
        bool contentSeen = false;
        JsonElement? usage = null;
        foreach (var e in sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            if (e == "data: [DONE]") continue;
            var chunk = JsonDocument.Parse(e["data: ".Length..]).RootElement;
            if (chunk.TryGetProperty("usage", out var u)) usage = u;
            if (chunk.GetProperty("choices").GetArrayLength() == 0) continue;
            var delta = chunk.GetProperty("choices")[0].GetProperty("delta");
            if (delta.TryGetProperty("reasoning_content", out var r)) { Assert.False(contentSeen, "reasoning after content"); reasoning += r.GetString(); }
            if (delta.TryGetProperty("content", out var c)) { contentSeen = true; content += c.GetString(); }
        }
        Assert.Equal(message.GetProperty("reasoning_content").GetString(), reasoning);
        Assert.Equal(message.GetProperty("content").GetString(), content);
        Assert.Equal(5, usage!.Value.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());

        // The official SDK's streaming sees the same answer text.
        var sdk = new StringBuilder();
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 };
#pragma warning disable SCME0001 // patching extra JSON fields is an evaluation API of the SDK
        options.Patch.Set("$.thinking_budget"u8, 5);
        options.Patch.Set("$.ignore_eos"u8, true);
#pragma warning restore SCME0001
        await foreach (var update in server.Chat().CompleteChatStreamingAsync([new UserChatMessage(Question)], options))
            foreach (var part in update.ContentUpdate) sdk.Append(part.Text);
        Assert.Equal(content, sdk.ToString());
    }

    [Fact]
    public async Task ZeroBudgetAnswersWithoutThinking()
    {
        await using var server = await Start();
        var root = await PostJson(server, "/v1/chat/completions", ChatBody(""","thinking_budget":0,"max_tokens":10"""));
        var message = root.GetProperty("choices")[0].GetProperty("message");
        Assert.False(message.TryGetProperty("reasoning_content", out var r) && r.GetString() is { Length: > 0 });
        Assert.NotEmpty(message.GetProperty("content").GetString()!);
        Assert.Equal(0, root.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
    }

    [Fact]
    public async Task ConcurrentRequestsMatchSequentialOnesAndPrefixIsReused()
    {
        await using var server = await Start(parallel: 3);
        string[] questions = ["add 7 and 5", "What is 12 * 25? Think step by step.", "then multiply by 10"];
        string Body(string q, int max) => ChatBody($$""","thinking_budget":4,"max_tokens":{{max}}""", q);
        var sequential = new List<string>();
        foreach (var q in questions)
            sequential.Add((await PostJson(server, "/v1/chat/completions", Body(q, 12))).GetRawText());
        var concurrent = await Task.WhenAll(questions.Select((q, i) => PostJson(server, "/v1/chat/completions", Body(q, 12))));
        for (int i = 0; i < questions.Length; i++)
        {
            var a = JsonDocument.Parse(sequential[i]).RootElement.GetProperty("choices")[0].GetProperty("message");
            var b = concurrent[i].GetProperty("choices")[0].GetProperty("message");
            Assert.Equal(a.GetRawText(), b.GetRawText());
            // The same prompt again finds its cache: all of it but the last token is reused.
            var cached = concurrent[i].GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32();
            Assert.Equal(concurrent[i].GetProperty("usage").GetProperty("prompt_tokens").GetInt32() - 1, cached);
        }
    }

    [Fact]
    public async Task StopStringEndsTheAnswer()
    {
        await using var server = await Start();
        var free = await PostJson(server, "/v1/chat/completions", ChatBody(""","thinking_budget":0,"max_tokens":24"""));
        string content = free.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.True(content.Length >= 4, content);
        string stop = content.Substring(2, 2);
        var stopped = await PostJson(server, "/v1/chat/completions", ChatBody($$""","thinking_budget":0,"max_tokens":24,"stop":[{{JsonSerializer.Serialize(stop)}}]"""));
        var choice = stopped.GetProperty("choices")[0];
        Assert.Equal(content[..content.IndexOf(stop, StringComparison.Ordinal)], choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task ClientDisconnectFreesTheSlot()
    {
        await using var server = await Start(parallel: 1, ctx: 4096);
        using (var cts = new CancellationTokenSource())
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = Json(ChatBody(""","stream":true,"max_tokens":4000""")),
            };
            var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var stream = await response.Content.ReadAsStreamAsync(cts.Token);
            var buffer = new byte[256];
            int read = await stream.ReadAsync(buffer, cts.Token);
            Assert.True(read > 0);
            cts.Cancel();
            response.Dispose();
        }
        // With one slot, this only runs once the abandoned request has released it (4000 tokens would take far longer).
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var root = await PostJson(server, "/v1/chat/completions", ChatBody(""","max_tokens":5"""));
        Assert.Equal(5, root.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"took {sw.Elapsed}");
        string metrics = await server.Http.GetStringAsync("/metrics");
        Assert.Contains("r1_busy_slots 0", metrics);
    }

    [Fact]
    public async Task PromptLongerThanContextIsRejected()
    {
        await using var server = await Start(ctx: 64);
        var response = await server.Http.PostAsync("/v1/chat/completions", Json(ChatBody("", new string('a', 400))));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
    }
}
