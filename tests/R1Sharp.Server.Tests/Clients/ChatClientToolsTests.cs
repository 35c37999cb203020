using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.Extensions.AI;
using R1Sharp.Inference;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.ChatClient;
using R1Sharp.TestSupport;
using ChatTemplate = R1Sharp.Tokenization.Templates.ChatTemplate;

namespace R1Sharp.Server.Tests.Clients;

/// <summary>Tools and structured output through <see cref="IChatClient"/> (Microsoft.Extensions.AI's types) on the
/// in-process engine: forced calls are valid on a random-weight model, the model's calls come back as
/// FunctionCallContent, calls and results in the history reach the prompt, ResponseFormat Json holds.</summary>
public sealed class ChatClientToolsTests
{
    private static readonly JsonElement AddSchema = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"integer","minimum":0,"maximum":9},"b":{"type":"integer","minimum":0,"maximum":9}},"required":["a","b"],"additionalProperties":false}""").RootElement;

    // The fixture's 256-token context cannot hold a tool list: a template that reads `tools` without writing it.
    private static BatchingEngine ShortPromptEngine()
    {
        var loaded = LoadedModel.Load(Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf"));
        var template = new ChatTemplate("{% if tools %}{% endif %}{% for m in messages %}<｜User｜>{{ m.content }}{% endfor %}<｜Assistant｜><think>\n");
        return new BatchingEngine(loaded.Model, loaded.Tokenizer, template, "tiny", new BatchingOptions { Slots = 2 }, loaded);
    }

    [Fact]
    public async Task RequiredToolModeForcesAValidCallOnARandomModel()
    {
        using var client = new R1ChatClient(ShortPromptEngine(), ownsEngine: true);
        var schema = JsonSchema.FromText(AddSchema.GetRawText());
        for (int seed = 1; seed <= 4; seed++)
        {
            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "2+3?")], new ChatOptions
            {
                Tools = [AIFunctionFactory.CreateDeclaration("add", "Adds", AddSchema)],
                ToolMode = seed % 2 == 0 ? ChatToolMode.RequireAny : ChatToolMode.RequireSpecific("add"),
                AllowMultipleToolCalls = false, Temperature = 1f, Seed = seed, MaxOutputTokens = 200,
                AdditionalProperties = new AdditionalPropertiesDictionary { ["thinking_budget"] = 2 },
            });
            Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
            var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
            Assert.Equal("add", call.Name);
            Assert.StartsWith("call_", call.CallId);
            Assert.True(schema.Evaluate(JsonNode.Parse(JsonSerializer.Serialize(call.Arguments))).IsValid, JsonSerializer.Serialize(call.Arguments));
        }
    }

    [Fact]
    public async Task JsonResponseFormatHoldsOnARandomModel()
    {
        using var client = new R1ChatClient(ShortPromptEngine(), ownsEngine: true);
        var schema = JsonSchema.FromText(AddSchema.GetRawText());
        int finished = 0;
        for (int seed = 1; seed <= 4; seed++)
        {
            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Two digits as JSON")], new ChatOptions
            {
                ResponseFormat = ChatResponseFormat.ForJsonSchema(AddSchema, "digits"), Temperature = 1f, Seed = seed, MaxOutputTokens = 200,
                AdditionalProperties = new AdditionalPropertiesDictionary { ["thinking_budget"] = 1 },
            });
            if (response.FinishReason == ChatFinishReason.Length) continue;
            finished++;
            Assert.True(schema.Evaluate(JsonNode.Parse(response.Text)).IsValid, response.Text);
        }
        Assert.True(finished >= 3, $"{finished} of 4 finished");
    }

    [Fact]
    public async Task TheModelsCallsComeBackAsFunctionCallContentAndResultsGoBack()
    {
        const string answer = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>add\n```json\n{\"a\": 2, \"b\": 3}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
        var engine = new ScriptedEngine
        {
            ContextLength = 4096,
            Script = [.. answer.Chunk(4).Select(c => new GenerationText(TextChannel.Answer, new string(c))), new GenerationFinished("stop", 5, answer.Length, 0, 0)],
        };
        using var client = new R1ChatClient(engine);
        var options = new ChatOptions { Tools = [AIFunctionFactory.CreateDeclaration("add", "Adds", AddSchema)] };
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "2+3?")], options)) updates.Add(u);
        var response = updates.ToChatResponse();
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(("add", "2", "3"), (call.Name, call.Arguments!["a"]!.ToString(), call.Arguments["b"]!.ToString()));
        Assert.Equal("", response.Text);

        // The call and its result go back into the next prompt.
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "2+3?"), .. response.Messages,
            new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, "5")])], options);
        string prompt = new(engine.Received[1].PromptTokens.Select(t => (char)t).ToArray());
        Assert.EndsWith("<assistant><tool>5", prompt);
    }
}
