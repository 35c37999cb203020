using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using R1Sharp.Server.Api;

namespace R1Sharp.Server.Conversations;

/// <summary>
/// The chat web app: its REST API for conversations under <c>/api/conversations</c> (SQLite under the data folder) and
/// its page and assets at <c>/</c> (embedded in this assembly, so nothing is fetched from elsewhere). Bodies are read
/// and errors written as by the OpenAI API (ApiSupport); the API key, origin and content type are checked for every
/// route by <see cref="RequestGuard"/>.
/// </summary>
internal static class ConversationEndpoints
{
    private static readonly JsonSerializerOptions Indented = new(ConversationJsonContext.Default.Options) { WriteIndented = true };

    /// <summary>Maps the conversation API and the web app. <paramref name="dataDir"/> null or empty: <see cref="ConversationStore.DefaultDataDir"/>.</summary>
    public static WebApplication MapConversations(this WebApplication app, string? dataDir)
    {
        var store = new ConversationStore(string.IsNullOrWhiteSpace(dataDir) ? ConversationStore.DefaultDataDir : dataDir);
        var api = app.MapGroup("/api");
        var json = ConversationJsonContext.Default;

        api.MapGet("/conversations", (string? q) => Results.Json(store.List(q), json.IReadOnlyListConversationSummary));

        api.MapPost("/conversations", async (HttpContext context) =>
        {
            var body = await ReadOptionalAsync(context, json.ConversationPatch);
            var c = store.Create(body?.Title, body?.Settings);
            return Results.Json(c, json.Conversation, statusCode: StatusCodes.Status201Created);
        });

        api.MapGet("/conversations/{id}", (string id) => Results.Json(store.Get(id) ?? throw NotFound("conversation"), json.Conversation));

        api.MapPatch("/conversations/{id}", async (HttpContext context, string id) =>
        {
            var body = await ApiSupport.ReadJsonAsync(context, json.ConversationPatch);
            return Results.Json(store.Update(id, body) ?? throw NotFound("conversation"), json.Conversation);
        });

        api.MapDelete("/conversations/{id}", (string id) => store.Delete(id) ? Results.NoContent() : throw NotFound("conversation"));

        api.MapPost("/conversations/{id}/messages", async (HttpContext context, string id) =>
        {
            var body = await ApiSupport.ReadJsonAsync(context, json.MessagePatch);
            var m = store.Append(id, body) ?? throw NotFound("conversation");
            return Results.Json(m, json.StoredMessage, statusCode: StatusCodes.Status201Created);
        });

        api.MapPatch("/conversations/{id}/messages/{messageId}", async (HttpContext context, string id, string messageId) =>
        {
            var body = await ApiSupport.ReadJsonAsync(context, json.MessagePatch);
            return Results.Json(store.UpdateMessage(id, messageId, body) ?? throw NotFound("message"), json.StoredMessage);
        });

        // ?following=true also deletes every later message (regenerate an answer, edit a question).
        api.MapDelete("/conversations/{id}/messages/{messageId}", (HttpContext context, string id, string messageId) =>
        {
            string? following = context.Request.Query["following"];
            bool andFollowing = following is null ? false
                : bool.TryParse(following, out bool f) ? f
                : throw ApiException.BadRequest($"'following' must be true or false, not '{following}'", "following");
            return store.DeleteMessage(id, messageId, andFollowing) > 0 ? Results.NoContent() : throw NotFound("message");
        });

        api.MapGet("/conversations/{id}/export", (string id) =>
            store.Get(id) is null ? throw NotFound("conversation") : Download(store.Export([id]), $"conversation-{id}.json"));

        api.MapGet("/export", () => Download(store.Export(), "conversations.json"));

        api.MapPost("/import", async (HttpContext context) =>
        {
            var doc = await ApiSupport.ReadJsonAsync(context, json.ConversationExport);
            return Results.Json(new ImportResult(store.Import(doc)), json.ImportResult);
        });

        app.MapChatApp();
        return app;
    }

    // POST /api/conversations may come without a body (a new chat with defaults).
    private static async Task<T?> ReadOptionalAsync<T>(HttpContext context, JsonTypeInfo<T> info) where T : class =>
        context.Request.ContentLength == 0 || (context.Request.ContentLength is null && context.Request.ContentType is null)
            ? null
            : await ApiSupport.ReadJsonAsync(context, info);

    private static IResult Download(ConversationExport export, string fileName) =>
        Results.File(JsonSerializer.SerializeToUtf8Bytes(export, Indented.GetTypeInfo(typeof(ConversationExport))), "application/json", fileName);

    private static ApiException NotFound(string what) => new(404, what + " not found", "invalid_request_error", null, "not_found");
}
