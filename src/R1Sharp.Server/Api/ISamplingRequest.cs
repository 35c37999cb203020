using System.Text.Json;

namespace R1Sharp.Server.Api;

/// <summary>The generation fields chat and text completion requests share.</summary>
internal interface ISamplingRequest
{
    string? Model { get; }
    float? Temperature { get; }
    float? TopP { get; }
    int? TopK { get; }
    float? MinP { get; }
    long? Seed { get; }
    int? MaxTokens { get; }
    JsonElement? Stop { get; }
    float? PresencePenalty { get; }
    float? FrequencyPenalty { get; }
    float? RepeatPenalty { get; }
    bool? IgnoreEos { get; }
    int? N { get; }
    bool? Stream { get; }
    StreamOptionsDto? StreamOptions { get; }
}
