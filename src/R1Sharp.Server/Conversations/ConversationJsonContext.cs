using System.Text.Json.Serialization;

namespace R1Sharp.Server.Conversations;

/// <summary>Source-generated JSON metadata of the conversation API (same reader options as the OpenAI API's).</summary>
[JsonSourceGenerationOptions(AllowTrailingCommas = true, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ConversationPatch))]
[JsonSerializable(typeof(MessagePatch))]
[JsonSerializable(typeof(ConversationExport))]
[JsonSerializable(typeof(Conversation))]
[JsonSerializable(typeof(StoredMessage))]
[JsonSerializable(typeof(IReadOnlyList<ConversationSummary>))]
[JsonSerializable(typeof(ImportResult))]
internal sealed partial class ConversationJsonContext : JsonSerializerContext;
