using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using OllamaSharp;
using OllamaSharp.Models;
using OllamaSharp.Models.Chat;
using R1Sharp.Inference.Batching;
using R1Sharp.TestSupport;

namespace R1Sharp.Server.Tests.Clients;

/// <summary>Ollama's API through OllamaSharp (the client Ollama users run) against the real server on loopback, on the
/// tiny random-weight qwen2 fixture (R1-Distill template: the prompt opens &lt;think&gt;).</summary>
public sealed class OllamaApiTests
{
    private static readonly string ModelPath = Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf");

    private static Task<TestServer> Start(int? budget = 4, string? apiKey = null) =>
        TestServer.StartAsync(new ServerOptions { ModelPath = ModelPath, Parallel = 2, CtxSize = 512, ThinkingBudget = budget, ApiKey = apiKey });

    private static OllamaApiClient Client(TestServer server) =>
        new(new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(120) }, "tiny");

    private sealed record Answer(string Thinking, string Content, List<Message.ToolCall> Calls, ChatDoneResponseStream Done, int Lines);

    private static async Task<Answer> Chat(OllamaApiClient client, ChatRequest request)
    {
        var thinking = new StringBuilder();
        var content = new StringBuilder();
        var calls = new List<Message.ToolCall>();
        ChatDoneResponseStream? done = null;
        int lines = 0;
        await foreach (var r in client.ChatAsync(request))
        {
            lines++;
            thinking.Append(r?.Message.Thinking);
            content.Append(r?.Message.Content);
            if (r?.Message.ToolCalls is { } c) calls.AddRange(c);
            if (r is ChatDoneResponseStream d) done = d;
        }
        return new Answer(thinking.ToString(), content.ToString(), calls, done ?? throw new InvalidOperationException("no done line"), lines);
    }

    private static ChatRequest ChatRequest(bool think, bool stream, int seed, int numPredict = 16, ThinkValue? thinkLevel = null, object? format = null) => new()
    {
        Format = format,
        Model = "tiny",
        Messages = [new Message(ChatRole.User, "What is 12 * 25? Think step by step.")],
        Think = thinkLevel ?? think,
        Stream = stream,
        Options = new RequestOptions { Temperature = 0.8f, Seed = seed, NumPredict = numPredict, TopK = 40, TopP = 0.95f, MinP = 0.01f, RepeatPenalty = 1.1f, NumCtx = 512 },
        KeepAlive = "5m",
    };

    [Fact]
    public async Task ListShowVersionAndRunningModels()
    {
        await using var server = await Start();
        var client = Client(server);
        string name = server.Engine.Engine!.ModelName;
        var models = (await client.ListLocalModelsAsync()).ToList();
        Assert.Equal(name, Assert.Single(models).Name);
        Assert.Equal(new FileInfo(ModelPath).Length, models[0].Size);
        Assert.Equal("qwen2", models[0].Details.Family);
        Assert.Equal("gguf", models[0].Details.Format);
        var running = Assert.Single(await client.ListRunningModelsAsync());
        Assert.Equal(name, running.Name);
        var show = await client.ShowModelAsync(name);
        Assert.Contains("<think>", show.Template);
        Assert.Equal("qwen2", show.Info.Architecture);
        var version = await client.GetVersionAsync();
        Assert.True(Version.Parse(version) >= new Version(0, 5), version);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ChatThinksOrNotStreamingOrNotWithOllamasStatistics(bool think)
    {
        await using var server = await Start();
        var client = Client(server);
        for (int seed = 1; seed <= 3; seed++)
        {
            var streamed = await Chat(client, ChatRequest(think, stream: true, seed));
            var whole = await Chat(client, ChatRequest(think, stream: false, seed));
            Assert.Equal(1, whole.Lines);
            Assert.True(streamed.Lines > 2, $"{streamed.Lines} lines");
            foreach (var a in new[] { streamed, whole })
            {
                Assert.DoesNotContain("<think>", a.Content + a.Thinking);
                Assert.DoesNotContain("</think>", a.Content + a.Thinking);
                if (think) Assert.NotEqual("", a.Thinking);
                else Assert.Equal("", a.Thinking);
                Assert.True(a.Done.Done);
                Assert.True(a.Done.PromptEvalCount > 5);
                Assert.True(a.Done.EvalCount is > 0 and <= 16);
                Assert.Equal(a.Done.EvalCount == 16 ? "length" : "stop", a.Done.DoneReason);
                Assert.True(a.Done.TotalDuration >= a.Done.PromptEvalDuration + a.Done.EvalDuration - 1000 && a.Done.EvalDuration > 0);
            }
            // Same seed: the same text, split the same way, streamed or not.
            Assert.Equal((whole.Thinking, whole.Content), (streamed.Thinking, streamed.Content));
        }
    }

    [Fact]
    public async Task ThinkLevelsAreThinkingBudgets()
    {
        await using var server = await Start(budget: null);
        var client = Client(server);
        var low = await Chat(client, ChatRequest(true, false, 5, numPredict: 40, thinkLevel: "low"));
        Assert.NotEqual("", low.Thinking); // low = 1024 tokens: the whole answer is thought here
        Assert.Equal("", low.Content);
        var response = await server.Http.PostAsync("/api/chat", new StringContent("""{"model":"x","messages":[{"role":"user","content":"hi"}],"think":"extreme"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("think", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GenerateSplitsTheThoughtAndReturnsTheContext(bool stream)
    {
        await using var server = await Start();
        var client = Client(server);
        foreach (bool think in new[] { true, false })
        {
            var thinking = new StringBuilder();
            var response = new StringBuilder();
            GenerateDoneResponseStream? done = null;
            await foreach (var r in client.GenerateAsync(new GenerateRequest
            {
                Model = "tiny", Prompt = "What is 12 * 25?", System = "Be brief.", Think = think, Stream = stream,
                Options = new RequestOptions { Temperature = 0.8f, Seed = 7, NumPredict = 12 },
            }))
            {
                thinking.Append(r?.Thinking);
                response.Append(r?.Response);
                if (r is GenerateDoneResponseStream d) done = d;
            }
            Assert.NotNull(done);
            Assert.Equal(think, thinking.Length > 0);
            Assert.DoesNotContain("think>", thinking.ToString() + response);
#pragma warning disable CS0618 // context: deprecated by Ollama, still sent
            Assert.Equal(done.PromptEvalCount + done.EvalCount, done.Context.Length);
#pragma warning restore CS0618
        }
        // raw: the prompt as it is, no template, no thought.
        var raw = new StringBuilder();
        await foreach (var r in client.GenerateAsync(new GenerateRequest { Model = "tiny", Prompt = "Once upon", Raw = true, Stream = stream, Options = new RequestOptions { Seed = 1, NumPredict = 8 } }))
        {
            Assert.Null(r?.Thinking);
            raw.Append(r?.Response);
        }
        Assert.NotEqual("", raw.ToString());
    }

    [Fact]
    public async Task FormatJsonAndSchemaHoldOnARandomModel()
    {
        await using var server = await Start();
        var client = Client(server);
        var schemaText = """{"type":"object","properties":{"name":{"type":"string","maxLength":8},"age":{"type":"integer","minimum":0,"maximum":120},"tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":3}},"required":["name","age"],"additionalProperties":false}""";
        var schema = JsonSchema.FromText(schemaText);
        int finished = 0;
        for (int seed = 1; seed <= 6; seed++)
        {
            bool stream = seed % 2 == 0;
            var answer = await Chat(client, ChatRequest(think: seed % 3 != 0, stream, seed, numPredict: 160, format: JsonNode.Parse(schemaText)));
            if (answer.Done.DoneReason == "length") continue; // cut short by num_predict: a prefix of a valid value
            finished++;
            var result = schema.Evaluate(JsonNode.Parse(answer.Content));
            Assert.True(result.IsValid, answer.Content);
            var any = await Chat(client, ChatRequest(think: false, stream, seed, numPredict: 160, format: "json"));
            if (any.Done.DoneReason == "stop") JsonDocument.Parse(any.Content).Dispose();
        }
        Assert.True(finished >= 3, $"only {finished} of 6 answers finished");
        var bad = await server.Http.PostAsync("/api/chat", new StringContent("""{"model":"x","messages":[{"role":"user","content":"hi"}],"format":{"type":"string","pattern":"^a+$"}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        string error = await bad.Content.ReadAsStringAsync();
        Assert.Contains("pattern", error);
        Assert.Contains("\"param\":\"format\"", error);
    }

    [Fact]
    public async Task ToolCallsComeBackAsOllamaToolCallsAndToolResultsRenderBack()
    {
        string call = "Let me check.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
        var engine = new ScriptedEngine
        {
            Script = [new GenerationText(TextChannel.Reasoning, "The user wants weather."), .. call.Select(c => new GenerationText(TextChannel.Answer, c.ToString())),
                new GenerationFinished("stop", 10, call.Length, 3, 0)],
        };
        await using var server = await TestServer.StartAsync(new ServerOptions { EngineFactory = _ => engine });
        var client = Client(server);
        var tool = new Tool
        {
            Function = new Function
            {
                Name = "get_weather", Description = "Weather of a city",
                Parameters = new Parameters { Properties = new Dictionary<string, Property> { ["city"] = new() { Type = "string" } }, Required = ["city"] },
            },
        };
        foreach (bool stream in new[] { true, false })
        {
            var answer = await Chat(client, new ChatRequest
            {
                Model = "tiny", Stream = stream, Tools = [tool],
                Messages = [new Message(ChatRole.User, "Weather in Paris?")],
            });
            var c = Assert.Single(answer.Calls);
            Assert.Equal("get_weather", c.Function!.Name);
            Assert.Equal("Paris", c.Function.Arguments!["city"]?.ToString());
            Assert.Equal("Let me check.", answer.Content);
            Assert.Equal("The user wants weather.", answer.Thinking);
        }
        // The call and its result go back as messages: an assistant turn with tool_calls, a "tool" turn.
        await Chat(client, new ChatRequest
        {
            Model = "tiny", Stream = false, Tools = [tool],
            Messages =
            [
                new Message(ChatRole.User, "Weather in Paris?"),
                new Message(ChatRole.Assistant, "") { ToolCalls = [new Message.ToolCall { Function = new Message.Function { Name = "get_weather", Arguments = new Dictionary<string, object?> { ["city"] = "Paris" } } }] },
                new Message(ChatRole.Tool, "18 C, sunny") { ToolName = "get_weather" },
            ],
        });
        Assert.Equal(3, engine.Received.Count);
        string prompt = new(engine.Received[2].PromptTokens.Select(t => (char)t).ToArray());
        Assert.EndsWith("<assistant><tool>18 C, sunny", prompt);
    }

    [Fact]
    public async Task TheBundledModelsThoughtComesInMessageThinking()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { ModelPath = Path.Combine(Fixtures.RepoRoot, "models", "r1sharp-tiny-arith.gguf"), Parallel = 1 });
        var answer = await Chat(Client(server), new ChatRequest
        {
            Model = "r1sharp", Stream = false, Think = true,
            Messages = [new Message(ChatRole.User, "What is 4721 + 389?")],
            Options = new RequestOptions { Temperature = 0, NumPredict = 400 },
        });
        Assert.NotEqual("", answer.Thinking.Trim());
        Assert.DoesNotContain("think>", answer.Thinking + answer.Content);
        Assert.Contains("The answer is", answer.Content);
        Assert.Equal("stop", answer.Done.DoneReason);
    }

    [Fact]
    public async Task OllamaRoutesNeedTheApiKeyAndKeepTheChatAppRoutes()
    {
        await using var server = await Start(apiKey: "sekret");
        foreach (var path in new[] { "/api/tags", "/api/ps", "/api/version" })
            Assert.Equal(HttpStatusCode.Unauthorized, (await server.Http.GetAsync(path)).StatusCode);
        var chat = await server.Http.PostAsync("/api/chat", new StringContent("""{"model":"x","messages":[]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, chat.StatusCode);
        Assert.Equal("invalid_api_key", JsonDocument.Parse(await chat.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        server.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sekret");
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/api/tags")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/api/conversations")).StatusCode);
        // An empty chat is Ollama's "load the model" call.
        var load = await server.Http.PostAsync("/api/chat", new StringContent("""{"model":"x","messages":[],"stream":false}""", Encoding.UTF8, "application/json"));
        Assert.Equal("load", JsonDocument.Parse(await load.Content.ReadAsStringAsync()).RootElement.GetProperty("done_reason").GetString());
    }
}
