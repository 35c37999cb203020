using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Evaluation;

/// <summary>
/// Samples completions from any OpenAI-compatible server (`r1 serve`, llama-server, vLLM, DeepSeek's API) through
/// POST /v1/chat/completions: the question as one user turn, the k samples of a problem as k requests, at most
/// `concurrency` requests in flight over all problems. The thought is taken from
/// <c>reasoning_content</c> (or <c>reasoning</c>), else from <c>&lt;think&gt;...&lt;/think&gt;</c> in the content.
/// temperature and top_p are always sent (R1Sharp's defaults unless set: the values the summary reports); the other
/// sampling fields only when set (a server that lacks one of them may refuse it). Seeds: sample i of
/// a problem gets <c>Seed + 1000003 * hash(prompt) + i</c> (FNV-1a), so a rerun asks the same questions with the same
/// seeds in any order. A 429/503 is retried after its Retry-After (at most 5 times).
/// </summary>
public sealed class EndpointCompletionSource : ICompletionSource, IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly string? _model;
    private readonly GenerationParameters _parameters;
    private readonly SemaphoreSlim _inFlight;

    public EndpointCompletionSource(string endpoint, string? apiKey, string? model, GenerationParameters parameters, int concurrency,
        HttpMessageHandler? handler = null, TimeSpan? timeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        _url = ChatCompletionsUrl(endpoint);
        _model = model;
        _parameters = parameters;
        _inFlight = new SemaphoreSlim(concurrency);
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.Timeout = timeout ?? TimeSpan.FromMinutes(30);
        if (apiKey is { Length: > 0 }) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    /// <summary>The chat completions URL of an endpoint given as a base ("http://host:8080", ".../v1") or in full.</summary>
    public static Uri ChatCompletionsUrl(string endpoint)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--endpoint must be an http(s) URL, not '{endpoint}'");
        string path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/chat/completions", StringComparison.Ordinal)) return uri;
        string tail = path.EndsWith("/v1", StringComparison.Ordinal) ? "/chat/completions" : "/v1/chat/completions";
        return new UriBuilder(uri) { Path = path + tail }.Uri;
    }

    public IReadOnlyList<Completion> Complete(string prompt, int samples, CancellationToken cancellationToken)
    {
        ulong first = (_parameters.Seed ?? 0x5EED) + 1000003UL * Fnv1a(prompt);
        return Task.WhenAll(Enumerable.Range(0, samples).Select(i => SampleAsync(prompt, unchecked(first + (ulong)i), cancellationToken)))
            .GetAwaiter().GetResult();
    }

    private async Task<Completion> SampleAsync(string prompt, ulong seed, CancellationToken ct)
    {
        string body = Body(prompt, seed);
        await _inFlight.WaitAsync(ct);
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                using var response = await _http.PostAsync(_url, new StringContent(body, Encoding.UTF8, "application/json"), ct);
                string text = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && attempt < 5)
                {
                    var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1 << attempt);
                    await Task.Delay(wait, ct);
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                    throw new HttpRequestException($"{_url} answered {(int)response.StatusCode}: {ErrorMessage(text)}");
                return Parse(text);
            }
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private string Body(string prompt, ulong seed)
    {
        var p = _parameters;
        var o = new JsonObject();
        if (_model is not null) o["model"] = _model;
        o["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt });
        // Temperature and top_p always (the effective values the summary reports; servers' defaults differ).
        var sampling = p.ToSamplingOptions();
        o["temperature"] = sampling.Temperature;
        o["top_p"] = sampling.TopP;
        if (p.TopK is { } tk) o["top_k"] = tk;
        if (p.MinP is { } mp) o["min_p"] = mp;
        if (p.RepetitionPenalty is { } rp) o["repeat_penalty"] = rp;
        if (p.PresencePenalty is { } pp) o["presence_penalty"] = pp;
        if (p.FrequencyPenalty is { } fp) o["frequency_penalty"] = fp;
        if (p.MaxTokens is { } mt) o["max_tokens"] = mt;
        if (p.ThinkingBudget is { } tb) o["thinking_budget"] = tb;
        if (p.Stop.Count > 0) o["stop"] = new JsonArray(p.Stop.Select(s => (JsonNode?)s).ToArray());
        o["seed"] = unchecked((long)seed);
        return o.ToJsonString();
    }

    /// <summary>One response: the thought from reasoning_content (or reasoning), else from &lt;think&gt; tags in the content;
    /// token counts from usage (reasoning_tokens when the server reports them, else split by the texts' lengths).</summary>
    public static Completion Parse(string responseJson)
    {
        using var doc = JsonDocument.Parse(responseJson);
        var root = doc.RootElement;
        var message = root.GetProperty("choices")[0].GetProperty("message");
        string content = message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
        string? reasoning = (message.TryGetProperty("reasoning_content", out var r) || message.TryGetProperty("reasoning", out r))
            && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        string answer = content;
        if (reasoning is null)
        {
            int close = content.IndexOf("</think>", StringComparison.Ordinal);
            int open = content.IndexOf("<think>", StringComparison.Ordinal);
            if (close >= 0)
            {
                int start = open >= 0 && open < close ? open + "<think>".Length : 0;
                reasoning = content[start..close].Trim('\n');
                answer = content[(close + "</think>".Length)..];
            }
            else if (open >= 0)
            {
                reasoning = content[(open + "<think>".Length)..];
                answer = ""; // the thought never closed
            }
        }
        reasoning ??= "";
        int completion = 0, reasoningTokens = 0;
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            completion = usage.TryGetProperty("completion_tokens", out var ct) && ct.TryGetInt32(out int n) ? n : 0;
            if (usage.TryGetProperty("completion_tokens_details", out var d) && d.ValueKind == JsonValueKind.Object
                && d.TryGetProperty("reasoning_tokens", out var rt) && rt.TryGetInt32(out int m))
                reasoningTokens = m;
            else if (reasoning.Length + answer.Length > 0)
                reasoningTokens = (int)Math.Round(completion * (double)reasoning.Length / (reasoning.Length + answer.Length));
        }
        return new Completion(reasoning, answer.Trim(), reasoningTokens, Math.Max(0, completion - reasoningTokens));
    }

    private static string ErrorMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("error", out var e))
                return e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) ? m.GetString() ?? body : e.ToString();
        }
        catch (JsonException)
        {
        }
        return body.Length > 300 ? body[..300] : body;
    }

    private static uint Fnv1a(string s)
    {
        uint h = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(s)) h = (h ^ b) * 16777619;
        return h;
    }

    public void Dispose()
    {
        _http.Dispose();
        _inFlight.Dispose();
    }
}
