using R1Sharp.Evaluation;
using R1Sharp.Inference.Batching;
using R1Sharp.TestSupport;

namespace R1Sharp.Server.Tests.Clients;

/// <summary>`r1 eval --endpoint`'s source against `r1 serve` on loopback: the same scoring (answer extraction,
/// pass@1 over k, cons@k, pass@k) from any OpenAI-compatible server, the thought from reasoning_content or from
/// &lt;think&gt; tags in the content.</summary>
public sealed class EndpointEvalTests
{
    private static readonly List<EvalItem> Items = [new(1, EvalSource.Chat, "What is 12 * 25?", "300"), new(2, EvalSource.Chat, "What is 3 + 4?", "8")];

    [Fact]
    public async Task ScoresAServersAnswersLikeTheLocalPath()
    {
        var engine = new ScriptedEngine
        {
            ContextLength = 4096,
            Script = [new GenerationText(TextChannel.Reasoning, "12 * 25 = 300, so 300."), new GenerationText(TextChannel.Answer, "\n\nThe answer is \\boxed{300}."),
                new GenerationFinished("stop", 12, 20, 9, 0)],
        };
        await using var server = await TestServer.StartAsync(new ServerOptions { EngineFactory = _ => engine, ApiKey = "k" });
        using var source = new EndpointCompletionSource(server.BaseUrl, "k", "scripted", new GenerationParameters { Temperature = 0.6f, Seed = 3 }, concurrency: 3);
        var progress = new List<int>();
        var report = await Task.Run(() => EvalRunner.Run(Items, source, new EvalOptions { K = 3, ProblemsInFlight = 2 }, (done, _, _) => progress.Add(done)));
        Assert.Equal(2, report.Problems);
        Assert.Equal(0.5, report.Pass1);  // every sample answers 300: right for the first problem, wrong for the second
        Assert.Equal(0.5, report.ConsK);
        Assert.Equal(0.5, report.PassK);
        Assert.Equal(9, report.AvgReasoningTokens);
        Assert.Equal(11, report.AvgAnswerTokens);
        Assert.Equal([1, 2], progress);
        Assert.Equal(["300", "300", "300"], report.Results[0].Samples.Select(s => s.Extracted));
        Assert.Equal(6, engine.Received.Count);
        // Seeds: per problem and sample, the same whatever the order problems run in.
        var seeds = engine.Received.Select(r => r.Parameters.Seed!.Value).ToHashSet();
        Assert.Equal(6, seeds.Count);
        Assert.Equal(0.6f, engine.Received[0].Parameters.Temperature);
    }

    [Fact]
    public async Task EvaluatesARandomModelThroughTheServer()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { ModelPath = Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf"), Parallel = 4, CtxSize = 256 });
        using var source = new EndpointCompletionSource(server.BaseUrl + "/v1", null, null,
            new GenerationParameters { Temperature = 0.8f, Seed = 1, MaxTokens = 24, ThinkingBudget = 8 }, concurrency: 4);
        var report = await Task.Run(() => EvalRunner.Run(Items, source, new EvalOptions { K = 2, ProblemsInFlight = 2 }));
        Assert.Equal(2, report.Problems);
        Assert.All(report.Results.SelectMany(r => r.Samples), s => Assert.True(s.ReasoningTokens <= 8 && s.ReasoningTokens + s.AnswerTokens <= 24));
        var again = await Task.Run(() => EvalRunner.Run(Items, source, new EvalOptions { K = 2, ProblemsInFlight = 1 }));
        // Same seeds per problem and sample, whatever the concurrency: the same answers.
        Assert.Equal(report.Results.SelectMany(r => r.Samples), again.Results.SelectMany(r => r.Samples));
    }

    [Theory]
    [InlineData("""{"choices":[{"message":{"content":"<think>\nabc\n</think>\n\nThe answer is 4."}}],"usage":{"completion_tokens":10}}""", "abc", "The answer is 4.", true)]
    [InlineData("""{"choices":[{"message":{"content":"abc\n</think>\n\n**4**"}}],"usage":{"completion_tokens":10}}""", "abc", "**4**", true)]
    [InlineData("""{"choices":[{"message":{"content":"<think>\nstill going"}}],"usage":{"completion_tokens":10}}""", "\nstill going", "", true)]
    [InlineData("""{"choices":[{"message":{"content":"\n\n4","reasoning_content":"abc"}}],"usage":{"completion_tokens":10,"completion_tokens_details":{"reasoning_tokens":7}}}""", "abc", "4", false)]
    public void TakesTheThoughtFromReasoningContentOrThinkTags(string response, string reasoning, string answer, bool estimated)
    {
        var c = EndpointCompletionSource.Parse(response);
        Assert.Equal((reasoning, answer), (c.Reasoning, c.Answer));
        Assert.Equal(10, c.ReasoningTokens + c.AnswerTokens);
        if (!estimated) Assert.Equal(7, c.ReasoningTokens);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/chat/completions")]
    [InlineData("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1/chat/completions")]
    [InlineData("https://api.deepseek.com", "https://api.deepseek.com/v1/chat/completions")]
    [InlineData("http://h/x/v1/chat/completions", "http://h/x/v1/chat/completions")]
    public void EndpointUrls(string endpoint, string url) => Assert.Equal(url, EndpointCompletionSource.ChatCompletionsUrl(endpoint).ToString());
}
