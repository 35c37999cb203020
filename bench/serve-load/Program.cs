// Load test of `r1 serve` (loopback only, bounded in count and time): aggregate decode tokens/s of K concurrent
// streams against one stream, on the same in-process server and model, in the same run.
//   dotnet run -c Release --project bench/serve-load -- --model FILE.gguf [--streams 8] [--tokens 48] [--ctx 512]
// Prints a Markdown table row for docs/serving.md.
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using R1Sharp.Server;

string? model = null;
int streams = 8, tokens = 48, ctx = 512;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--model": model = args[++i]; break;
        case "--streams": streams = int.Parse(args[++i]); break;
        case "--tokens": tokens = int.Parse(args[++i]); break;
        case "--ctx": ctx = int.Parse(args[++i]); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (model is null) { Console.Error.WriteLine("usage: serve-load --model FILE.gguf [--streams 8] [--tokens 48] [--ctx 512]"); return 2; }

var app = R1Server.Build(new ServerOptions { ModelPath = model, Host = "127.0.0.1", Port = 0, Parallel = streams, CtxSize = ctx, Verbose = false });
await app.StartAsync();
var holder = R1Server.Engine(app);
var loadClock = Stopwatch.StartNew();
while (holder.IsLoading && loadClock.Elapsed < TimeSpan.FromMinutes(5)) await Task.Delay(50);
if (holder.Engine is null) { Console.Error.WriteLine($"model failed to load: {holder.LoadError?.Message}"); return 1; }
using var http = new HttpClient { BaseAddress = new Uri(R1Server.BoundUrl(app)), Timeout = TimeSpan.FromMinutes(10) };

// One streamed request; returns (completion tokens, seconds from the first to the last token).
async Task<(int Tokens, double DecodeSeconds, double TotalSeconds)> Stream(int seed)
{
    string body = JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = $"Count slowly from {seed} to {seed + 100}." } },
        ["max_tokens"] = tokens, ["ignore_eos"] = true, ["temperature"] = 0.6, ["seed"] = seed, ["stream"] = true,
        ["stream_options"] = new Dictionary<string, bool> { ["include_usage"] = true },
    });
    var clock = Stopwatch.StartNew();
    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    response.EnsureSuccessStatusCode();
    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
    double first = -1;
    int completion = 0;
    while (await reader.ReadLineAsync() is { } line)
    {
        if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]") continue;
        using var doc = JsonDocument.Parse(line[6..]);
        if (first < 0 && doc.RootElement.GetProperty("choices").GetArrayLength() > 0) first = clock.Elapsed.TotalSeconds;
        if (doc.RootElement.TryGetProperty("usage", out var u)) completion = u.GetProperty("completion_tokens").GetInt32();
    }
    double total = clock.Elapsed.TotalSeconds;
    return (completion, total - Math.Max(first, 0), total);
}

await Stream(0); // warm-up (JIT, caches)
var single = await Stream(1);
double singleRate = single.Tokens / single.TotalSeconds;
var wall = Stopwatch.StartNew();
var results = await Task.WhenAll(Enumerable.Range(0, streams).Select(i => Stream(100 + i)));
double wallSeconds = wall.Elapsed.TotalSeconds;
int total = results.Sum(r => r.Tokens);
double aggregate = total / wallSeconds;
string name = Path.GetFileName(model);
Console.WriteLine($"model {name}, {Environment.ProcessorCount} cores, {tokens} tokens per stream");
Console.WriteLine($"1 stream: {single.Tokens} tokens in {single.TotalSeconds:F2} s = {singleRate:F2} tokens/s");
Console.WriteLine($"{streams} streams: {total} tokens in {wallSeconds:F2} s = {aggregate:F2} tokens/s aggregate");
Console.WriteLine($"| {name} | {streams} | {tokens} | {singleRate:F2} | {aggregate:F2} | {aggregate / singleRate:F2}x |");
await app.StopAsync();
return 0;
