using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.AI;
using R1Sharp.Evaluation;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.ChatClient;
using R1Sharp.Server;
using R1Sharp.TestSupport;

namespace R1Sharp.Cli.Tests;

/// <summary>One request, one seed, one output: `r1 run --json`, the HTTP API, the in-process IChatClient and the
/// evaluation's completion source all render the prompt the same way, use the same defaults (temperature 0.8 given,
/// top-p left to the default) and the same seed semantics, so a random-weight model samples the same text on each.</summary>
public class SameSeedAcrossPathsTests
{
    private static readonly string Model = Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf");
    private const string Question = "What is 12 * 25? Think step by step.";

    [Fact]
    public async Task RunApiChatClientAndEvalSampleTheSameText()
    {
        var cli = await CliProcess.RunAsync("run", "--json", "-m", Model, "-p", Question, "--temp", "0.8", "--seed", "42", "-t", "1");
        Assert.True(cli.Exit == 0, cli.Err);
        var run = JsonDocument.Parse(cli.Out).RootElement;
        string reasoning = run.GetProperty("reasoning_content").GetString()!, content = run.GetProperty("content").GetString()!;
        Assert.NotEmpty(reasoning + content);

        var app = R1Server.Build(new ServerOptions { ModelPath = Model, Host = "127.0.0.1", Port = 0, Verbose = false });
        await app.StartAsync();
        try
        {
            while (R1Server.Engine(app).IsLoading) await Task.Delay(20);
            using var http = new HttpClient { BaseAddress = new Uri(R1Server.BoundUrl(app)) };
            var response = await http.PostAsJsonAsync("/v1/chat/completions", new
            {
                messages = new[] { new { role = "user", content = Question } }, temperature = 0.8, seed = 42,
            });
            var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("choices")[0].GetProperty("message");
            string apiReasoning = message.TryGetProperty("reasoning_content", out var r) ? r.GetString() ?? "" : "";
            Assert.Equal((reasoning, content), (apiReasoning, message.GetProperty("content").GetString()));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        using var engine = EngineFactory.Load(new ServerOptions { ModelPath = Model, Parallel = 2 });
        var client = new R1ChatClient(engine);
        var chat = await client.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, Question)], new ChatOptions { Temperature = 0.8f, Seed = 42 });
        string chatReasoning = string.Concat(chat.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(c => c.Text));
        Assert.Equal((reasoning, content), (chatReasoning, chat.Text));

        // The first problem's first sample is seeded with the given seed.
        var eval = new ModelCompletionSource(engine, new GenerationParameters { Temperature = 0.8f, Seed = 42 }).Complete(Question, 2, default);
        Assert.Equal((reasoning, content.Trim()), (eval[0].Reasoning, eval[0].Answer));
        Assert.NotEqual((eval[0].Reasoning, eval[0].Answer), (eval[1].Reasoning, eval[1].Answer));
    }

    [Theory]
    [InlineData("--temp", "-1", "--temp must be between 0 and 2")]
    [InlineData("--top-p", "1.5", "--top-p must be in (0, 1]")]
    [InlineData("-n", "-5", "--max-tokens must be at least 1")]
    [InlineData("--thinking-budget", "-2", "--thinking-budget must be >= 0")]
    public async Task OutOfRangeSamplingOptionsAreOneLineErrors(string option, string value, string message)
    {
        var r = await CliProcess.RunAsync("run", "-m", Model, "-p", "hi", option, value);
        Assert.Equal(1, r.Exit);
        Assert.Equal($"r1 run: {message}", r.Err.Trim());
    }
}
