using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace R1Sharp.Server.Conversations;

/// <summary>
/// The chat web app: its REST API for conversations under <c>/api/conversations</c> (SQLite under the data folder) and
/// its page and assets at <c>/</c> (embedded in this assembly, so nothing is fetched from elsewhere).
/// </summary>
public static class ConversationEndpoints
{
    /// <summary>Maps the conversation API and the web app. <paramref name="dataDir"/> null or empty: <see cref="ConversationStore.DefaultDataDir"/>.</summary>
    public static WebApplication MapConversations(this WebApplication app, string? dataDir)
    {
        var store = new ConversationStore(string.IsNullOrWhiteSpace(dataDir) ? ConversationStore.DefaultDataDir : dataDir);
        // With `r1 serve --api-key`, the conversations need the key as much as /v1 does (the page sends it when set).
        var apiKey = app.Services.GetService<ServerOptions>()?.ApiKey;
        ((IEndpointRouteBuilder)app).MapConversations(store, apiKey);
        app.MapChatApp();
        return app;
    }

    /// <summary>Maps the conversation API over an existing store (no web app).</summary>
    public static IEndpointRouteBuilder MapConversations(this IEndpointRouteBuilder routes, ConversationStore store, string? apiKey = null)
    {
        var api = routes.MapGroup("/api");
        if (!string.IsNullOrEmpty(apiKey))
        {
            var expected = Encoding.UTF8.GetBytes(apiKey);
            api.AddEndpointFilter(async (context, next) =>
            {
                var header = context.HttpContext.Request.Headers.Authorization.ToString();
                const string scheme = "Bearer ";
                var ok = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
                         && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), expected);
                return ok ? await next(context) : Error(401, header.Length == 0 ? "missing API key: send it as 'Authorization: Bearer KEY'" : "invalid API key", "invalid_api_key");
            });
        }

        api.MapGet("/conversations", (string? q) => Results.Ok(store.List(q)));

        api.MapPost("/conversations", (ConversationPatch? body) => Guard(() =>
        {
            var c = store.Create(body?.Title, body?.Settings);
            return Results.Created($"/api/conversations/{c.Id}", c);
        }));

        api.MapGet("/conversations/{id}", (string id) =>
            store.Get(id) is { } c ? Results.Ok(c) : NotFound("conversation"));

        api.MapPatch("/conversations/{id}", (string id, ConversationPatch body) => Guard(() =>
            store.Update(id, body) is { } c ? Results.Ok(c) : NotFound("conversation")));

        api.MapDelete("/conversations/{id}", (string id) =>
            store.Delete(id) ? Results.NoContent() : NotFound("conversation"));

        api.MapPost("/conversations/{id}/messages", (string id, MessagePatch body) => Guard(() =>
            store.Append(id, body) is { } m ? Results.Created($"/api/conversations/{id}/messages/{m.Id}", m) : NotFound("conversation")));

        api.MapPatch("/conversations/{id}/messages/{messageId}", (string id, string messageId, MessagePatch body) => Guard(() =>
            store.UpdateMessage(id, messageId, body) is { } m ? Results.Ok(m) : NotFound("message")));

        // ?following=true also deletes every later message (regenerate an answer, edit a question).
        api.MapDelete("/conversations/{id}/messages/{messageId}", (string id, string messageId, bool? following) =>
            store.DeleteMessage(id, messageId, following ?? false) > 0 ? Results.NoContent() : NotFound("message"));

        api.MapGet("/conversations/{id}/export", (string id) =>
            store.Get(id) is null ? NotFound("conversation") : Download(store.Export([id]), $"conversation-{id}.json"));

        api.MapGet("/export", () => Download(store.Export(), "conversations.json"));

        api.MapPost("/import", async (HttpRequest request) =>
        {
            ConversationExport? doc;
            try { doc = await JsonSerializer.DeserializeAsync<ConversationExport>(request.Body, cancellationToken: request.HttpContext.RequestAborted); }
            catch (JsonException e) { return Error(400, "invalid JSON: " + e.Message); }
            if (doc is null) return Error(400, "empty import document");
            return Guard(() => Results.Ok(new { imported = store.Import(doc) }));
        });

        return routes;
    }

    private static IResult Download(ConversationExport export, string fileName) =>
        Results.File(JsonSerializer.SerializeToUtf8Bytes(export, new JsonSerializerOptions { WriteIndented = true }),
            "application/json", fileName);

    private static IResult Guard(Func<IResult> action)
    {
        try { return action(); }
        catch (ConversationStoreException e) { return Error(400, e.Message); }
    }

    private static IResult NotFound(string what) => Error(404, what + " not found", "not_found");

    // OpenAI's error shape, as the rest of the server answers.
    private static IResult Error(int status, string message, string code = "invalid_request") =>
        Results.Json(new { error = new { message, type = status == 404 ? "not_found_error" : "invalid_request_error", param = (string?)null, code } },
            statusCode: status);
}
