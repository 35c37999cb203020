using System.Text;
using System.Text.Json;
using R1Sharp.Inference;
using R1Sharp.Inference.Batching;
using R1Sharp.TestSupport;

namespace R1Sharp.Server.Tests;

/// <summary>/metrics on the real engine: the busy-slot gauge follows cancellations, and every request is counted once
/// with its status (ok, cancelled, rejected), whatever ends it.</summary>
public sealed class EngineMetricsTests
{
    private static readonly string ModelPath = Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf");

    /// <summary>The golden model at 50 ms a step behind a real server: a 200-token request runs for 10 s.</summary>
    private static Task<TestServer> Start(int parallel = 1, int queue = 64) => TestServer.StartAsync(new ServerOptions
    {
        QueueSize = queue,
        EngineFactory = o =>
        {
            var loaded = LoadedModel.Load(ModelPath);
            return new BatchingEngine(new ThrottledModel(loaded.Model, TimeSpan.FromMilliseconds(50)), loaded.Tokenizer, loaded.Template,
                loaded.Name, EngineFactory.Options(o with { Parallel = parallel }), loaded);
        },
    });

    private static StringContent Body(int maxTokens, bool stream) => new(
        $$"""{"messages":[{"role":"user","content":"hi"}],"temperature":0,"ignore_eos":true,"max_tokens":{{maxTokens}},"stream":{{(stream ? "true" : "false")}}}""",
        Encoding.UTF8, "application/json");

    private static async Task<string> MetricsWhen(TestServer server, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        string text;
        do
        {
            text = await server.Http.GetStringAsync("/metrics");
            if (condition(text)) return text;
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        return text;
    }

    private static async Task<HttpResponseMessage> StartStreaming(TestServer server, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Body(200, stream: true) };
        var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var stream = await response.Content.ReadAsStreamAsync(ct);
        Assert.True(await stream.ReadAsync(new byte[64], ct) > 0); // generation is under way
        return response;
    }

    [Fact]
    public async Task AClientThatDisconnectsAloneFreesTheGaugeAndIsCountedAsCancelled()
    {
        await using var server = await Start();
        using (var cts = new CancellationTokenSource())
        {
            var response = await StartStreaming(server, cts.Token);
            // (The role chunk comes at once; the slot is taken when the scheduler admits the request.)
            Assert.Contains("r1_busy_slots 1\n", await MetricsWhen(server, t => t.Contains("r1_busy_slots 1\n")));
            cts.Cancel();
            response.Dispose();
        }
        // Nothing else runs: the gauge must fall back by itself.
        string text = await MetricsWhen(server, t => t.Contains("r1_busy_slots 0\n"));
        Assert.Contains("r1_busy_slots 0\n", text);
        Assert.Contains("r1_requests_total{endpoint=\"chat\",status=\"cancelled\",finish_reason=\"cancelled\"} 1\n", text);
        Assert.Contains("r1_request_duration_seconds_count 1\n", text);

        var done = await server.Http.PostAsync("/v1/chat/completions", Body(3, stream: false));
        Assert.True(done.IsSuccessStatusCode);
        text = await server.Http.GetStringAsync("/metrics"); // the gauge is down before the finish reaches the client
        Assert.Contains("r1_requests_total{endpoint=\"chat\",status=\"ok\",finish_reason=\"length\"} 1\n", text);
        Assert.Contains("r1_request_duration_seconds_count 2\n", text); // each request observed once
        Assert.Contains("r1_busy_slots 0\n", text);
    }

    [Fact]
    public async Task QueuedRequestsThatGoAwayAndRefusedOnesAreCounted()
    {
        await using var server = await Start(parallel: 1, queue: 1);
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        var running = await StartStreaming(server, first.Token);
        // The second waits in the queue; the third is refused.
        var queued = await server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Body(200, stream: true) },
            HttpCompletionOption.ResponseHeadersRead, second.Token);
        Assert.Contains("r1_queue_depth 1\n", await MetricsWhen(server, t => t.Contains("r1_queue_depth 1\n")));
        var refused = await server.Http.PostAsync("/v1/completions",
            new StringContent("""{"prompt":"hi","max_tokens":2}""", Encoding.UTF8, "application/json"));
        Assert.Equal(429, (int)refused.StatusCode);
        // The queued client goes away: its request leaves the queue while the first still runs.
        second.Cancel();
        queued.Dispose();
        string text = await MetricsWhen(server, t => t.Contains("r1_queue_depth 0\n"));
        Assert.Contains("r1_queue_depth 0\n", text);
        Assert.Contains("r1_busy_slots 1\n", text);
        first.Cancel();
        running.Dispose();
        text = await MetricsWhen(server, t => t.Contains("r1_busy_slots 0\n"));
        Assert.Contains("r1_requests_total{endpoint=\"completions\",status=\"rejected\",finish_reason=\"queue_full\"} 1\n", text);
        Assert.Contains("r1_requests_total{endpoint=\"chat\",status=\"cancelled\",finish_reason=\"cancelled\"} 2\n", text);
        Assert.DoesNotContain("status=\"ok\"", text);
    }
}
