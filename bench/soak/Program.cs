// Soak test of `r1 serve` (loopback only): starts the real server as a child process (`./r1 serve`, the bundled model
// unless --model is given) and runs --streams concurrent clients for --minutes with a mix of streaming, non-streaming,
// cancelled-mid-stream, raw-completion, oversized, too-long, malformed and chat-history requests. Every answer is
// checked against what it must be; errors (anything unexpected) must be 0, 429s (queue full) are counted apart.
// Reports latency percentiles per kind and the server's resident memory over time, as Markdown (docs/security.md).
//   bench/soak/run.sh [--minutes 10] [--streams 24] [--model FILE.gguf] [--parallel 4] [--ctx 1024] [--seed 1]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

double minutes = 10;
int streams = 24, parallel = 4, ctx = 1024, seed = 1;
string? model = null, r1 = null;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--minutes": minutes = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--streams": streams = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--parallel": parallel = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--ctx": ctx = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--model": model = Next(); break;
        case "--r1": r1 = Next(); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (r1 is null || !(minutes > 0) || streams is < 1 or > 256)
{
    Console.Error.WriteLine("usage: soak --r1 PATH/r1 [--minutes 10] [--streams 24] [--model FILE.gguf] [--parallel 4] [--ctx 1024] [--seed 1]");
    return 2;
}

// ---- the server ----
string dataDir = Path.Combine(Path.GetTempPath(), "r1-soak-" + Guid.NewGuid().ToString("N"));
var info = new ProcessStartInfo(r1) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
foreach (var a in new[] { "serve", "--host", "127.0.0.1", "--port", "0", "--parallel", parallel.ToString(CultureInfo.InvariantCulture),
             "--ctx-size", ctx.ToString(CultureInfo.InvariantCulture), "--data-dir", dataDir })
    info.ArgumentList.Add(a);
if (model is not null) { info.ArgumentList.Add("--model"); info.ArgumentList.Add(model); }
using var server = Process.Start(info) ?? throw new InvalidOperationException("cannot start " + r1);
var urlSource = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
var serverLog = new ConcurrentQueue<string>();
server.OutputDataReceived += (_, e) =>
{
    if (e.Data is null) return;
    serverLog.Enqueue(e.Data);
    if (Regex.Match(e.Data, @"listening on (http://\S+)") is { Success: true } m) urlSource.TrySetResult(m.Groups[1].Value);
};
server.ErrorDataReceived += (_, e) => { if (e.Data is not null) serverLog.Enqueue("stderr: " + e.Data); };
server.BeginOutputReadLine();
server.BeginErrorReadLine();
if (await Task.WhenAny(urlSource.Task, Task.Delay(TimeSpan.FromMinutes(2))) != urlSource.Task)
{
    server.Kill();
    Console.Error.WriteLine("r1 serve did not start:\n" + string.Join("\n", serverLog));
    return 1;
}
string baseUrl = urlSource.Task.Result;
// A long Expect: 100-continue wait: an oversized body is then never sent, the server answers 413 on the headers alone.
var handler = new SocketsHttpHandler { MaxConnectionsPerServer = streams * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(1), Expect100ContinueTimeout = TimeSpan.FromSeconds(60) };
using var http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(5) };
for (var until = DateTime.UtcNow.AddMinutes(5); ; await Task.Delay(200))
{
    try { if ((await http.GetAsync("/health")).StatusCode == HttpStatusCode.OK) break; } catch (HttpRequestException) { }
    if (DateTime.UtcNow > until || server.HasExited) { Console.Error.WriteLine("the model did not load:\n" + string.Join("\n", serverLog)); return 1; }
}
string modelName = JsonDocument.Parse(await http.GetStringAsync("/v1/models")).RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;

// ---- resident memory of the server over time ----
var rss = new List<(double Minute, double MB)>();
var clock = Stopwatch.StartNew();
double ReadRssMb()
{
    foreach (var line in File.ReadLines($"/proc/{server.Id}/status"))
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
    return double.NaN;
}
using var stopSampling = new CancellationTokenSource();
var sampler = Task.Run(async () =>
{
    while (!stopSampling.IsCancellationRequested)
    {
        lock (rss) rss.Add((clock.Elapsed.TotalMinutes, ReadRssMb()));
        try { await Task.Delay(TimeSpan.FromSeconds(5), stopSampling.Token); } catch (OperationCanceledException) { }
    }
});

// ---- the clients ----
var kinds = new (string Name, int Weight)[]
{
    ("stream", 35), ("complete", 20), ("cancel", 15), ("completion", 8), ("history", 7), ("oversized", 5), ("too_long", 5), ("malformed", 5),
};
var latencies = new ConcurrentDictionary<string, ConcurrentBag<double>>();
var firstToken = new ConcurrentBag<double>();
var counts = new ConcurrentDictionary<(string Kind, string Outcome), int>();
var errors = new ConcurrentQueue<string>();
var deadline = DateTime.UtcNow.AddMinutes(minutes);
const string Lorem = "Think about the sum of the first n odd numbers and explain why it is a square. ";

StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");
object Chat(Random rng, bool stream, int maxTokens) => new
{
    model = modelName,
    messages = new[] { new { role = "user", content = $"What is {rng.Next(1000)} + {rng.Next(1000)}?" } },
    stream, max_tokens = maxTokens, temperature = 0.6, seed = rng.Next(),
};

// Reads an SSE stream; returns (chunks, saw [DONE]); stops after `stopAfter` chunks when given.
async Task<(int Chunks, bool Done)> ReadStream(HttpResponseMessage response, int stopAfter, Stopwatch started)
{
    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
    int chunks = 0;
    while (await reader.ReadLineAsync() is { } line)
    {
        if (line.Length == 0) continue;
        if (line == "data: [DONE]") return (chunks, true);
        if (!line.StartsWith("data: {", StringComparison.Ordinal)) throw new InvalidDataException("not an SSE data line: " + line[..Math.Min(80, line.Length)]);
        using var doc = JsonDocument.Parse(line[6..]);
        if (doc.RootElement.TryGetProperty("error", out var e)) throw new InvalidDataException("in-stream error: " + e);
        if (++chunks == 2) firstToken.Add(started.Elapsed.TotalMilliseconds);
        if (chunks >= stopAfter) return (chunks, false);
    }
    return (chunks, false);
}

async Task<string> One(string kind, Random rng)
{
    switch (kind)
    {
        case "stream":
        {
            var started = Stopwatch.StartNew();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(Chat(rng, true, rng.Next(8, 65))) };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode != HttpStatusCode.OK) return Status(response);
            var (chunks, done) = await ReadStream(response, int.MaxValue, started);
            return done && chunks >= 2 ? "ok" : $"stream ended without [DONE] after {chunks} chunks";
        }
        case "cancel":
        {
            var started = Stopwatch.StartNew();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(Chat(rng, true, 256)) };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode != HttpStatusCode.OK) return Status(response);
            var (chunks, _) = await ReadStream(response, rng.Next(1, 6), started);
            return chunks >= 1 ? "ok" : "no chunk before cancelling";   // disposing the response aborts the request
        }
        case "complete":
        {
            using var response = await http.PostAsync("/v1/chat/completions", Json(Chat(rng, false, rng.Next(8, 65))));
            if (response.StatusCode != HttpStatusCode.OK) return Status(response);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var choice = doc.RootElement.GetProperty("choices")[0];
            return choice.GetProperty("message").GetProperty("content").ValueKind == JsonValueKind.String
                && choice.GetProperty("finish_reason").GetString() is "stop" or "length" ? "ok" : "bad completion shape";
        }
        case "completion":
        {
            using var response = await http.PostAsync("/v1/completions", Json(new { prompt = "Once upon a time", max_tokens = 16, temperature = 0.8 }));
            if (response.StatusCode != HttpStatusCode.OK) return Status(response);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return doc.RootElement.GetProperty("choices")[0].GetProperty("text").ValueKind == JsonValueKind.String ? "ok" : "bad completion shape";
        }
        case "history":
        {
            using var created = await http.PostAsync("/api/conversations", Json(new { title = "soak " + rng.Next() }));
            if (created.StatusCode != HttpStatusCode.Created) return Status(created);
            string id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            using var user = await http.PostAsync($"/api/conversations/{id}/messages", Json(new { role = "user", content = "hello é 😀" }));
            using var assistant = await http.PostAsync($"/api/conversations/{id}/messages", Json(new { role = "assistant", content = "hi", reasoning = "greet" }));
            if (user.StatusCode != HttpStatusCode.Created || assistant.StatusCode != HttpStatusCode.Created) return "append: " + Status(user) + " / " + Status(assistant);
            using var read = await http.GetAsync($"/api/conversations/{id}");
            int messages = JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("messages").GetArrayLength();
            using var deleted = await http.DeleteAsync($"/api/conversations/{id}");
            return messages == 2 && deleted.StatusCode == HttpStatusCode.NoContent ? "ok" : $"read {messages} messages, delete {Status(deleted)}";
        }
        case "oversized":
        {
            var body = new ByteArrayContent(new byte[9 * 1024 * 1024]);
            body.Headers.ContentType = new("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = body };
            request.Headers.ExpectContinue = true;   // the server answers 413 without reading the body
            using var response = await http.SendAsync(request);
            return response.StatusCode == HttpStatusCode.RequestEntityTooLarge ? "ok" : Status(response);
        }
        case "too_long":
        {
            string text = string.Concat(Enumerable.Repeat(Lorem, 2000 + rng.Next(20_000)));   // 160 KB to 1.8 MB
            using var response = await http.PostAsync("/v1/chat/completions", Json(new { messages = new[] { new { role = "user", content = text } } }));
            if (response.StatusCode != HttpStatusCode.BadRequest) return Status(response);
            return (await response.Content.ReadAsStringAsync()).Contains("context_length_exceeded") ? "ok" : "400 without context_length_exceeded";
        }
        case "malformed":
        {
            var (content, expected) = rng.Next(5) switch
            {
                0 => (new StringContent("{\"messages\": [", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest),
                1 => (new StringContent("{\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800 hi\"}]}", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest),
                2 => (new StringContent("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Encoding.UTF8, "text/plain"), HttpStatusCode.UnsupportedMediaType),
                3 => (new StringContent("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":\"hot\"}", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest),
                _ => (new ByteArrayContent([.. "{\"messages\":[{\"role\":\"user\",\"content\":\""u8, 0xff, 0xfe, .. "\"}]}"u8]), HttpStatusCode.BadRequest),
            };
            if (content.Headers.ContentType is null) content.Headers.ContentType = new("application/json");
            using var response = await http.PostAsync("/v1/chat/completions", content);
            if (response.StatusCode != expected) return Status(response);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return doc.RootElement.GetProperty("error").GetProperty("message").GetString() is { Length: > 0 } ? "ok" : "error without a message";
        }
        default: throw new InvalidOperationException(kind);
    }
}

static string Status(HttpResponseMessage r) => r.StatusCode == (HttpStatusCode)429 ? "429" : $"unexpected {(int)r.StatusCode}";

async Task Client(int index)
{
    var rng = new Random(seed * 1000 + index);
    int total = kinds.Sum(k => k.Weight);
    while (DateTime.UtcNow < deadline)
    {
        int pick = rng.Next(total);
        string kind = kinds.First(k => (pick -= k.Weight) < 0).Name;
        var clockOne = Stopwatch.StartNew();
        string outcome;
        try
        {
            outcome = await One(kind, rng);
        }
        catch (Exception e)
        {
            outcome = $"{e.GetType().Name}: {e.Message}";
        }
        latencies.GetOrAdd(kind, _ => []).Add(clockOne.Elapsed.TotalMilliseconds);
        string bucket = outcome == "ok" ? "ok" : outcome == "429" ? "429" : "error";
        counts.AddOrUpdate((kind, bucket), 1, (_, n) => n + 1);
        if (bucket == "error" && errors.Count < 20) errors.Enqueue($"{kind}: {outcome}");
        if (bucket == "429") await Task.Delay(100 + rng.Next(400));
    }
}

Console.Error.WriteLine($"soak: {streams} clients for {minutes} min against {baseUrl} (model {modelName}, {parallel} slots, context {ctx})");
var progress = Task.Run(async () =>
{
    while (DateTime.UtcNow < deadline)
    {
        await Task.Delay(TimeSpan.FromSeconds(30));
        int done = counts.Values.Sum(), bad = counts.Where(c => c.Key.Outcome == "error").Sum(c => c.Value);
        double mb;
        lock (rss) mb = rss.Count > 0 ? rss[^1].MB : double.NaN;
        Console.Error.WriteLine($"  {clock.Elapsed.TotalMinutes:0.0} min: {done} requests, {bad} errors, server RSS {mb:0} MB");
    }
});
await Task.WhenAll(Enumerable.Range(0, streams).Select(i => Task.Run(() => Client(i))));
await progress;

// ---- after the load: the server is idle and healthy ----
await Task.Delay(TimeSpan.FromSeconds(3));
string metrics = await http.GetStringAsync("/metrics");
string Gauge(string name) => Regex.Match(metrics, "^" + Regex.Escape(name) + @"(\{[^}]*\})? (\S+)$", RegexOptions.Multiline) is { Success: true } m ? m.Groups[2].Value : "?";
var health = await http.GetAsync("/health");
stopSampling.Cancel();
await sampler;
double idleRss = ReadRssMb();
server.Kill();
server.WaitForExit(10_000);
try { Directory.Delete(dataDir, true); } catch (IOException) { }

// ---- report ----
static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
var report = new StringBuilder();
int allRequests = counts.Values.Sum(), allErrors = counts.Where(c => c.Key.Outcome == "error").Sum(c => c.Value), all429 = counts.Where(c => c.Key.Outcome == "429").Sum(c => c.Value);
report.AppendLine(CultureInfo.InvariantCulture, $"Soak: {streams} concurrent clients, {minutes:0.##} min, model `{modelName}`, {parallel} slots, context {ctx}, " +
    $"{Environment.ProcessorCount} cores. {allRequests} requests, **{allErrors} errors**, {all429} answered 429.");
report.AppendLine();
report.AppendLine("| kind | requests | ok | 429 | errors | p50 ms | p90 ms | p99 ms | max ms |");
report.AppendLine("|---|---|---|---|---|---|---|---|---|");
foreach (var (kind, _) in kinds)
{
    var sorted = (latencies.TryGetValue(kind, out var bag) ? bag.ToList() : []).Order().ToList();
    int Count(string outcome) => counts.TryGetValue((kind, outcome), out int n) ? n : 0;
    report.AppendLine(CultureInfo.InvariantCulture, $"| {kind} | {sorted.Count} | {Count("ok")} | {Count("429")} | {Count("error")} | {Percentile(sorted, 0.5):0} | {Percentile(sorted, 0.9):0} | {Percentile(sorted, 0.99):0} | {(sorted.Count > 0 ? sorted[^1] : double.NaN):0} |");
}
var ttft = firstToken.Order().ToList();
report.AppendLine();
report.AppendLine(CultureInfo.InvariantCulture, $"Time to first token (streams): p50 {Percentile(ttft, 0.5):0} ms, p90 {Percentile(ttft, 0.9):0} ms, p99 {Percentile(ttft, 0.99):0} ms.");
report.AppendLine();
report.Append("Server resident memory (MB) by minute, min-max: ");
var byMinute = rss.GroupBy(s => (int)s.Minute).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Min(s => s.MB):0}-{g.Max(s => s.MB):0}");
report.AppendLine(string.Join(", ", byMinute) + $"; idle after the load {idleRss:0}.");
report.AppendLine();
report.AppendLine($"After the load: /health {(int)health.StatusCode}, r1_busy_slots {Gauge("r1_busy_slots")}, r1_queue_depth {Gauge("r1_queue_depth")}.");
if (!errors.IsEmpty)
{
    report.AppendLine();
    report.AppendLine("First errors:");
    foreach (var e in errors) report.AppendLine("- " + e);
}
Console.WriteLine(report);
return allErrors == 0 && health.StatusCode == HttpStatusCode.OK ? 0 : 1;
