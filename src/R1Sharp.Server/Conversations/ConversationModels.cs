using System.Text.Json;
using System.Text.Json.Serialization;

namespace R1Sharp.Server.Conversations;

/// <summary>A conversation as listed in the sidebar (no messages).</summary>
internal sealed record ConversationSummary(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("createdAt")] long CreatedAt,
    [property: JsonPropertyName("updatedAt")] long UpdatedAt);

/// <summary>A conversation with its settings (free-form JSON object owned by the web app) and its messages in order.</summary>
internal sealed record Conversation(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("createdAt")] long CreatedAt,
    [property: JsonPropertyName("updatedAt")] long UpdatedAt,
    [property: JsonPropertyName("settings")] JsonElement? Settings,
    [property: JsonPropertyName("messages")] IReadOnlyList<StoredMessage> Messages);

/// <summary>One message. <c>Meta</c> is a free-form JSON object (model name, tokens/s, thinking time, finish reason).</summary>
internal sealed record StoredMessage(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("reasoning")] string? Reasoning,
    [property: JsonPropertyName("meta")] JsonElement? Meta,
    [property: JsonPropertyName("createdAt")] long CreatedAt,
    [property: JsonPropertyName("updatedAt")] long UpdatedAt);

/// <summary>Body of POST /api/conversations and PATCH /api/conversations/{id}; null fields are left unchanged.</summary>
internal sealed record ConversationPatch(
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("settings")] JsonElement? Settings);

/// <summary>Body of POST .../messages (Role and Content required) and PATCH .../messages/{id} (null fields unchanged).</summary>
internal sealed record MessagePatch(
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("content")] string? Content,
    [property: JsonPropertyName("reasoning")] string? Reasoning,
    [property: JsonPropertyName("meta")] JsonElement? Meta);

/// <summary>The export/import document: a format tag and whole conversations.</summary>
internal sealed record ConversationExport(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("exportedAt")] long ExportedAt,
    [property: JsonPropertyName("conversations")] IReadOnlyList<Conversation> Conversations)
{
    public const string FormatName = "r1sharp.conversations.v1";
}

/// <summary>A request the store refuses (bad role, oversize text, malformed import): the endpoints answer 400 naming
/// <see cref="Param"/>, the field at fault.</summary>
internal sealed class ConversationStoreException(string message, string? param = null) : Exception(message)
{
    public string? Param { get; } = param;
}

/// <summary>Answer of POST /api/import: the new conversations.</summary>
internal sealed record ImportResult([property: JsonPropertyName("imported")] IReadOnlyList<ConversationSummary> Imported);
