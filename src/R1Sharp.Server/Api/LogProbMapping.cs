using R1Sharp.Inference.Batching;

namespace R1Sharp.Server.Api;

internal static class LogProbMapping
{
    public static TokenLogProbDto ToDto(TokenLogProb t) => new()
    {
        Token = t.Text,
        LogProb = t.LogProb,
        Bytes = Bytes(t.Bytes),
        TopLogProbs = t.Top.Select(a => new TopLogProbDto { Token = a.Text, LogProb = a.LogProb, Bytes = Bytes(a.Bytes) }).ToList(),
    };

    private static int[] Bytes(byte[] bytes) => Array.ConvertAll(bytes, b => (int)b);

    /// <summary>The API's finish_reason for an engine's: clients only know "stop" and "length".</summary>
    public static string FinishReason(string engineReason) => engineReason switch
    {
        "length" or "timeout" => "length",
        _ => "stop",
    };

    public static UsageDto Usage(IEnumerable<GenerationFinished> finished)
    {
        var list = finished.ToList();
        // n choices share one prompt: count it once, as OpenAI does.
        int prompt = list.Count > 0 ? list[0].PromptTokens : 0;
        int cached = list.Count > 0 ? list[0].CachedPromptTokens : 0;
        int completion = list.Sum(f => f.CompletionTokens);
        return new UsageDto
        {
            PromptTokens = prompt,
            CompletionTokens = completion,
            TotalTokens = prompt + completion,
            PromptTokensDetails = new PromptTokensDetailsDto { CachedTokens = cached },
            CompletionTokensDetails = new CompletionTokensDetailsDto { ReasoningTokens = list.Sum(f => f.ReasoningTokens) },
            PromptCacheHitTokens = cached,
            PromptCacheMissTokens = prompt - cached,
        };
    }
}
