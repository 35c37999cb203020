using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace R1Sharp.Server.Tests.Browser;

/// <summary>
/// What the scripted chat API streams for the next requests: reasoning pieces, then answer pieces, one SSE chunk per
/// piece with <see cref="Delay"/> between them (slow enough to press Stop in the middle).
/// </summary>
public sealed class ChatScript
{
    public string[] Reasoning { get; set; } = ["Let me ", "think about ", "this."];
    public string[] Answer { get; set; } = ["The answer ", "is **42**."];
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(30);
    public List<JsonElement> Requests { get; } = [];
}

/// <summary>
/// A scripted stand-in for the server's /v1/models and streaming /v1/chat/completions, in the wire format of the
/// server's contract (DeepSeek's: delta.reasoning_content chunks, then delta.content, then finish_reason and usage,
/// then [DONE]), so the page's behaviour can be tested with exact, controllable text.
/// </summary>
public static class ScriptedChatApi
{
    public const string ModelName = "scripted-r1";

    public static void Map(IEndpointRouteBuilder routes, ChatScript script)
    {
        routes.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = ModelName, @object = "model", owned_by = "r1sharp" } } }));
        routes.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            lock (script.Requests) script.Requests.Add(body.Clone());
            var thinking = !(body.TryGetProperty("thinking_budget", out var budget) && budget.GetInt32() == 0);
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            var ct = context.RequestAborted;
            var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
            var tokens = 0;
            async Task Send(object chunk)
            {
                await context.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk) + "\n\n", ct);
                await context.Response.Body.FlushAsync(ct);
            }
            object Chunk(object delta, string? finish = null, object? usage = null) => new
            {
                id, @object = "chat.completion.chunk", created = 0, model = ModelName,
                choices = usage is null ? new object[] { new { index = 0, delta, finish_reason = finish } } : [],
                usage,
            };
            try
            {
                await Send(Chunk(new { role = "assistant", content = "" }));
                if (thinking)
                    foreach (var piece in script.Reasoning)
                    {
                        await Task.Delay(script.Delay, ct);
                        await Send(Chunk(new { reasoning_content = piece }));
                        tokens++;
                    }
                foreach (var piece in script.Answer)
                {
                    await Task.Delay(script.Delay, ct);
                    await Send(Chunk(new { content = piece }));
                    tokens++;
                }
                await Send(Chunk(new { }, "stop"));
                await Send(Chunk(new { }, null, new { prompt_tokens = 10, completion_tokens = tokens, total_tokens = 10 + tokens }));
                await context.Response.WriteAsync("data: [DONE]\n\n", ct);
            }
            catch (OperationCanceledException) { /* the page pressed Stop */ }
        });
    }
}
