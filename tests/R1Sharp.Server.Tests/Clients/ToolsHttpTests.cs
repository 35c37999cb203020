using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using OpenAI.Chat;
using R1Sharp.Inference;
using R1Sharp.Inference.Batching;
using ChatTemplate = R1Sharp.Tokenization.Templates.ChatTemplate;
using R1Sharp.TestSupport;

namespace R1Sharp.Server.Tests.Clients;

/// <summary>OpenAI tools on /v1/chat/completions: forced calls (tool_choice required or named) are valid calls whose
/// arguments match the parameter schema on a random-weight model; the model's own calls come back as
/// message.tool_calls with ids and finish_reason "tool_calls", streamed as tool-call deltas the OpenAI SDK assembles.</summary>
public sealed class ToolsHttpTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private const string Tools = """
        [{"type":"function","function":{"name":"get_weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":10},"unit":{"enum":["C","F"]}},"required":["city"],"additionalProperties":false}}},
         {"type":"function","function":{"name":"add","parameters":{"type":"object","properties":{"a":{"type":"integer","minimum":-100,"maximum":100},"b":{"type":"integer","minimum":-100,"maximum":100}},"required":["a","b"],"additionalProperties":false}}}]
        """;

    [Theory]
    [InlineData("\"required\"")]
    [InlineData("""{"type":"function","function":{"name":"add"}}""")]
    public async Task ForcedToolChoiceYieldsAValidCallOnARandomModel(string toolChoice)
    {
        // The fixture's context (256 tokens of a byte-level vocabulary) cannot hold the tool list in the prompt: a
        // template that reads `tools` without writing it keeps the prompt short; the call syntax stays R1's.
        var loaded = LoadedModel.Load(Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf"));
        var template = new ChatTemplate("{% if tools %}{% endif %}{% for m in messages %}<｜User｜>{{ m.content }}{% endfor %}<｜Assistant｜><think>\n");
        await using var server = await TestServer.StartAsync(new ServerOptions
        {
            EngineFactory = _ => new BatchingEngine(loaded.Model, loaded.Tokenizer, template, "tiny", new BatchingOptions { Slots = 4 }, loaded),
        });
        var schemas = JsonNode.Parse(Tools)!.AsArray().ToDictionary(t => t!["function"]!["name"]!.GetValue<string>(),
            t => JsonSchema.FromText(t!["function"]!["parameters"]!.ToJsonString()));
        var replies = await Task.WhenAll(Enumerable.Range(1, 8).Select(async seed =>
        {
            string body = $$"""{"messages":[{"role":"user","content":"What's 2+3, and the weather in Paris?"}],"tools":{{Tools}},"tool_choice":{{toolChoice}},"parallel_tool_calls":{{(seed % 2 == 0 ? "true" : "false")}},"temperature":1.0,"seed":{{seed}},"thinking_budget":{{seed % 3}},"max_tokens":200}""";
            var response = await server.Http.PostAsync("/v1/chat/completions", Json(body));
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            return JsonDocument.Parse(text).RootElement.GetProperty("choices")[0].Clone();
        }));
        for (int i = 0; i < replies.Length; i++)
        {
            var choice = replies[i];
            // Parallel calls (even seeds) may go on until max_tokens: the complete calls still come back.
            Assert.True(choice.GetProperty("finish_reason").GetString() is "tool_calls" || (i % 2 == 1 && choice.GetProperty("finish_reason").GetString() == "length"), choice.ToString());
            var message = choice.GetProperty("message");
            Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
            var calls = message.GetProperty("tool_calls");
            Assert.True(calls.GetArrayLength() >= 1);
            foreach (var call in calls.EnumerateArray())
            {
                Assert.StartsWith("call_", call.GetProperty("id").GetString());
                Assert.Equal("function", call.GetProperty("type").GetString());
                string name = call.GetProperty("function").GetProperty("name").GetString()!;
                if (toolChoice.Contains("add")) Assert.Equal("add", name);
                var args = JsonNode.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!);
                Assert.True(schemas[name].Evaluate(args).IsValid, $"{name}: {args}");
            }
        }
    }

    private static ScriptedEngine Scripted(string answer) => new()
    {
        ContextLength = 4096,
        Script = [new GenerationText(TextChannel.Reasoning, "Two calls."), .. answer.Chunk(3).Select(c => new GenerationText(TextChannel.Answer, new string(c))),
            new GenerationFinished("stop", 10, answer.Length, 2, 0)],
    };

    private const string TwoCalls = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜>\n"
        + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>add\n```json\n{\"a\": 2, \"b\": 3}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";

    [Fact]
    public async Task TheModelsCallsComeBackThroughTheOpenAiSdkStreamingOrNot()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { EngineFactory = _ => Scripted(TwoCalls) });
        var client = server.Chat();
        var options = new ChatCompletionOptions
        {
            Tools =
            {
                ChatTool.CreateFunctionTool("get_weather", "Weather of a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""")),
                ChatTool.CreateFunctionTool("add", "Adds", BinaryData.FromString("""{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}}}""")),
            },
        };
        ChatMessage[] messages = [new UserChatMessage("Weather in Paris, and 2 + 3?")];
        ChatCompletion whole = await client.CompleteChatAsync(messages, options);
        Assert.Equal(ChatFinishReason.ToolCalls, whole.FinishReason);
        Assert.Equal(["get_weather", "add"], whole.ToolCalls.Select(c => c.FunctionName));
        Assert.Equal("Paris", JsonDocument.Parse(whole.ToolCalls[0].FunctionArguments).RootElement.GetProperty("city").GetString());

        var builder = new Dictionary<int, (string Id, string Name, StringBuilder Args)>();
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                if (!builder.TryGetValue(part.Index, out var entry)) builder[part.Index] = entry = (part.ToolCallId, part.FunctionName, new StringBuilder());
                entry.Args.Append(part.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal(["get_weather", "add"], builder.OrderBy(kv => kv.Key).Select(kv => kv.Value.Name));
        Assert.Equal(5, JsonDocument.Parse(builder[1].Args.ToString()).RootElement.GetProperty("a").GetInt32() + 3);
        Assert.All(builder.Values, v => Assert.StartsWith("call_", v.Id));

        // tool_choice none: the calls are text, not parsed.
        var none = await server.Http.PostAsync("/v1/chat/completions", Json("""{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none"}"""));
        var message = JsonDocument.Parse(await none.Content.ReadAsStringAsync()).RootElement.GetProperty("choices")[0];
        Assert.Equal("stop", message.GetProperty("finish_reason").GetString());
        Assert.Equal(TwoCalls, message.GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task ToolCallsAndResultsGoBackIntoThePrompt()
    {
        var engine = Scripted("done");
        await using var server = await TestServer.StartAsync(new ServerOptions { EngineFactory = _ => engine });
        var response = await server.Http.PostAsync("/v1/chat/completions", Json("""
            {"messages":[{"role":"user","content":"2+3?"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"add","arguments":"{\"a\":2,\"b\":3}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"5"}],
             "tools":[{"type":"function","function":{"name":"add","parameters":{"type":"object"}}}]}
            """));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        string prompt = new(engine.Received.Single().PromptTokens.Select(t => (char)t).ToArray());
        Assert.EndsWith("<assistant><tool>5", prompt);
    }

    [Theory]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"bad name"}}]}""", "tools")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}""", "tool_choice")]
    [InlineData("""{"tool_choice":"required"}""", "tool_choice")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"s":{"type":"string","pattern":"a"}}}}}],"tool_choice":"required"}""", "tools")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f","parameters":[]}}]}""", "tools")]
    public async Task BadToolRequestsAreA400NamingTheField(string extra, string param)
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { ModelPath = Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf"), CtxSize = 512 });
        string body = """{"messages":[{"role":"user","content":"hi"}],""" + extra[1..];
        var response = await server.Http.PostAsync("/v1/chat/completions", Json(body));
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("param").GetString());
    }
}
