using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Server.Tests;

/// <summary>The HTTP layer against a scripted engine: response shapes, SSE framing, status codes and error bodies.</summary>
public sealed class HttpLayerTests
{
    private static ScriptedEngine Script() => new()
    {
        Script =
        [
            new GenerationText(TextChannel.Reasoning, "Let me "),
            new GenerationText(TextChannel.Reasoning, "think."),
            new GenerationText(TextChannel.Answer, "The answer "),
            new GenerationText(TextChannel.Answer, "is 42."),
            new GenerationFinished("stop", PromptTokens: 10, CompletionTokens: 9, ReasoningTokens: 4, CachedPromptTokens: 3),
        ],
    };

    private static ServerOptions With(IGenerationEngine engine, string? apiKey = null) =>
        new() { EngineFactory = _ => engine, ApiKey = apiKey, MaxRequestBodyBytes = 4096 };

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _));
        Assert.True(error.TryGetProperty("code", out _));
        return error;
    }

    [Fact]
    public async Task NonStreamingSplitsReasoningFromAnswerWithUsage()
    {
        await using var server = await TestServer.StartAsync(With(Script()));
        var response = await server.Http.PostAsync("/v1/chat/completions", Json("""{"model":"m","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var message = root.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("Let me think.", message.GetProperty("reasoning_content").GetString());
        Assert.Equal("The answer is 42.", message.GetProperty("content").GetString());
        Assert.Equal("stop", root.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usage = root.GetProperty("usage");
        Assert.Equal(10, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(9, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(19, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(4, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        Assert.Equal(3, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());

        // The official SDK parses the same response.
        ChatCompletion completion = await server.Chat().CompleteChatAsync([new UserChatMessage("hi")]);
        Assert.Equal("The answer is 42.", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(4, completion.Usage.OutputTokenDetails.ReasoningTokenCount);
    }

    [Fact]
    public async Task StreamingSendsReasoningDeltasBeforeContentThenUsageAndDone()
    {
        await using var server = await TestServer.StartAsync(With(Script()));
        var response = await server.Http.PostAsync("/v1/chat/completions",
            Json("""{"messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}"""));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string body = await response.Content.ReadAsStringAsync();
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        var kinds = new List<string>();
        string reasoning = "", content = "";
        foreach (var c in chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0))
        {
            var delta = c.GetProperty("choices")[0].GetProperty("delta");
            if (delta.TryGetProperty("reasoning_content", out var r)) { reasoning += r.GetString(); kinds.Add("r"); }
            if (delta.TryGetProperty("content", out var t)) { content += t.GetString(); kinds.Add("c"); }
        }
        Assert.Equal("Let me think.", reasoning);
        Assert.Equal("The answer is 42.", content);
        Assert.Equal(["r", "r", "c", "c"], kinds);
        var last = chunks[^1];
        Assert.Equal(0, last.GetProperty("choices").GetArrayLength());
        Assert.Equal(4, last.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());

        var sdkText = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in server.Chat().CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            foreach (var part in update.ContentUpdate) sdkText.Append(part.Text);
            finish ??= update.FinishReason;
        }
        Assert.Equal("The answer is 42.", sdkText.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
    }

    [Theory]
    [InlineData("{not json", null)]
    [InlineData("""{"messages":[]}""", "messages")]
    [InlineData("""{"messages":[{"role":"wizard","content":"x"}]}""", "messages")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}""", "temperature")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"temperature":7}""", "temperature")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"max_tokens":0}""", "max_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"n":1000}""", "n")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"stop":5}""", "stop")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"reasoning_effort":"extreme"}""", "reasoning_effort")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"thinking_budget":-1}""", "thinking_budget")]
    public async Task BadRequestsGet400InOpenAiShape(string body, string? param)
    {
        await using var server = await TestServer.StartAsync(With(Script()));
        var response = await server.Http.PostAsync("/v1/chat/completions", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task PromptLongerThanContextIs400ContextLengthExceeded()
    {
        await using var server = await TestServer.StartAsync(With(new ScriptedEngine { ContextLength = 16 }));
        var response = await server.Http.PostAsync("/v1/chat/completions",
            Json("""{"messages":[{"role":"user","content":"this prompt is far longer than sixteen characters"}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("context_length_exceeded", (await ErrorOf(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task UnknownRouteIs404AndOversizedBodyIs413()
    {
        await using var server = await TestServer.StartAsync(With(Script()));
        var notFound = await server.Http.GetAsync("/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("not_found", (await ErrorOf(notFound)).GetProperty("code").GetString());

        string big = $$"""{"messages":[{"role":"user","content":"{{new string('x', 10_000)}}"}]}""";
        var tooLarge = await server.Http.PostAsync("/v1/chat/completions", Json(big));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        await ErrorOf(tooLarge);
    }

    [Fact]
    public async Task FullQueueIs429WithRetryAfter()
    {
        var engine = Script();
        engine.Overloaded = true;
        await using var server = await TestServer.StartAsync(With(engine));
        var response = await server.Http.PostAsync("/v1/chat/completions", Json("""{"messages":[{"role":"user","content":"x"}]}"""));
        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        await ErrorOf(response);
    }

    [Fact]
    public async Task WhileLoadingHealthAndApiAnswer503()
    {
        var release = new ManualResetEventSlim();
        var options = new ServerOptions { EngineFactory = _ => { release.Wait(TimeSpan.FromSeconds(30)); return Script(); } };
        await using var server = await TestServer.StartAsync(options, waitForEngine: false);
        var health = await server.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("loading", JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        var chat = await server.Http.PostAsync("/v1/chat/completions", Json("""{"messages":[{"role":"user","content":"x"}]}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.StatusCode);
        Assert.NotNull(chat.Headers.RetryAfter);
        await ErrorOf(chat);
        release.Set();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (server.Engine.IsLoading && DateTime.UtcNow < deadline) await Task.Delay(20);
        health = await server.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ApiKeyIsRequiredWhenConfigured()
    {
        await using var server = await TestServer.StartAsync(With(Script(), apiKey: "sekret"));
        var missing = await server.Http.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("invalid_api_key", (await ErrorOf(missing)).GetProperty("code").GetString());

        var wrong = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => server.Chat("nope").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, wrong.Status);

        ChatCompletion ok = await server.Chat("sekret").CompleteChatAsync([new UserChatMessage("hi")]);
        Assert.Equal("The answer is 42.", ok.Content[0].Text);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public void NonLoopbackBindingWithoutApiKeyIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => R1Server.Build(new ServerOptions { Host = "0.0.0.0", Port = 0, Verbose = false }));
        Assert.Contains("--api-key", e.Message);
    }

    [Fact]
    public async Task ModelsMetricsTokenizeDetokenize()
    {
        await using var server = await TestServer.StartAsync(With(Script()));
        var models = JsonDocument.Parse(await server.Http.GetStringAsync("/v1/models")).RootElement;
        Assert.Equal("list", models.GetProperty("object").GetString());
        Assert.Equal("scripted", models.GetProperty("data")[0].GetProperty("id").GetString());

        var tok = await server.Http.PostAsync("/tokenize", Json("""{"content":"ab"}"""));
        Assert.Equal("""{"tokens":[97,98]}""", await tok.Content.ReadAsStringAsync());
        var detok = await server.Http.PostAsync("/detokenize", Json("""{"tokens":[104,105]}"""));
        Assert.Equal("""{"content":"hi"}""", await detok.Content.ReadAsStringAsync());

        await server.Http.PostAsync("/v1/chat/completions", Json("""{"messages":[{"role":"user","content":"hi"}]}"""));
        var metrics = await server.Http.GetAsync("/metrics");
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType?.ToString());
        string text = await metrics.Content.ReadAsStringAsync();
        // The text is the engine's own (the engine counts requests: EngineMetricsTests checks the counts on a real one).
        Assert.Equal(((ScriptedEngine)server.Engine.Engine!).Metrics.ToPrometheusText(), text);
        Assert.Contains("# TYPE r1_request_duration_seconds histogram", text);
    }
}
