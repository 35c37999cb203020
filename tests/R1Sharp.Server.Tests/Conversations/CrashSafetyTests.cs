using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using R1Sharp.Server.Conversations;
using R1Sharp.TestSupport;

namespace R1Sharp.Server.Tests.Conversations;

/// <summary>
/// SIGKILL of `r1 serve` (a child process) while answers stream and the chat history is being written, as the web
/// app writes it (the question before generating, the answer when it ends; imports in one request): every write the
/// server acknowledged is there after the crash, in order and intact, an import is all or nothing, the database
/// passes PRAGMA integrity_check and the server opens it again. At most the writes in flight are lost.
/// </summary>
public sealed class CrashSafetyTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private static readonly string ModelPath = Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf");
    private const int ImportedMessages = 40;
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "r1-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, true); } catch (DirectoryNotFoundException) { }
    }

    private sealed record Acked(string ConversationId, string MessageId, int Worker, string Role, string Content, string? Reasoning);

    /// <summary>`r1 serve` (the Cli build's r1.dll, run by the dotnet host) on a free loopback port.</summary>
    private sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;
        public string BaseUrl { get; }
        public HttpClient Http { get; }

        private ServerProcess(Process process, string baseUrl)
        {
            _process = process;
            BaseUrl = baseUrl;
            Http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
        }

        private static string R1Dll()
        {
            var own = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            // artifacts/bin/R1Sharp.Server.Tests/<config>/ -> artifacts/bin/R1Sharp.Cli/<config>/r1.dll (built through the ProjectReference)
            string path = Path.Combine(own.Parent!.Parent!.FullName, "R1Sharp.Cli", own.Name, "r1.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("r1.dll not built next to the tests", path);
        }

        public static async Task<ServerProcess> StartAsync(string dataDir)
        {
            string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
            var info = new ProcessStartInfo(host)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in new[] { R1Dll(), "serve", "--model", ModelPath, "--port", "0", "--data-dir", dataDir, "--parallel", "4" })
                info.ArgumentList.Add(a);
            var process = Process.Start(info)!;
            var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var log = new ConcurrentQueue<string>();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                log.Enqueue(e.Data);
                if (Regex.Match(e.Data, @"listening on (http://\S+)") is { Success: true } m) url.TrySetResult(m.Groups[1].Value);
            };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var started = await Task.WhenAny(url.Task, Task.Delay(TimeSpan.FromSeconds(90)));
            if (started != url.Task)
            {
                process.Kill();
                throw new InvalidOperationException("r1 serve did not start: " + string.Join(" | ", log));
            }
            var server = new ServerProcess(process, url.Task.Result.Replace("://0.0.0.0", "://127.0.0.1"));
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    if ((await server.Http.GetAsync("/health")).StatusCode == HttpStatusCode.OK) return server;
                }
                catch (HttpRequestException) { }
                await Task.Delay(50);
            }
            server.Dispose();
            throw new InvalidOperationException("the model did not load: " + string.Join(" | ", log));
        }

        /// <summary>SIGKILL (Process.Kill on Unix): no shutdown code runs.</summary>
        public void Kill()
        {
            _process.Kill();
            _process.WaitForExit(30_000);
        }

        public void Dispose()
        {
            if (!_process.HasExited) Kill();
            _process.Dispose();
            Http.Dispose();
        }
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    private static async Task<string> NewConversation(HttpClient http, string title)
    {
        using var response = await http.PostAsync("/api/conversations", Json(new { title }));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Runs chat workers and an importer until the server is killed mid-stream; returns what it acknowledged.</summary>
    private static async Task<(List<Acked> Messages, List<string> Imports)> WriteUntilKilled(ServerProcess server, string[] conversations, int round)
    {
        var acked = new ConcurrentQueue<Acked>();
        var imports = new ConcurrentQueue<string>();
        int streaming = 0;
        using var stop = new CancellationTokenSource();

        async Task Chat(int worker)
        {
            var rng = new Random(round * 100 + worker);
            string cid = conversations[worker % conversations.Length];
            for (int turn = 0; !stop.IsCancellationRequested; turn++)
            {
                string question = $"r{round} w{worker} t{turn}: what is {rng.Next(100)} + {rng.Next(100)}? é ∑ 😀 " + new string('q', rng.Next(60));
                using (var r = await server.Http.PostAsync($"/api/conversations/{cid}/messages", Json(new { role = "user", content = question }), stop.Token))
                {
                    r.EnsureSuccessStatusCode();
                    string id = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
                    acked.Enqueue(new Acked(cid, id, worker, "user", question, null));
                }
                var answer = new StringBuilder();
                var reasoning = new StringBuilder();
                var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
                {
                    Content = Json(new { messages = new[] { new { role = "user", content = question } }, stream = true, max_tokens = 32, ignore_eos = true, thinking_budget = 16, seed = turn }),
                };
                using (var r = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token))
                {
                    if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"chat: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
                    using var reader = new StreamReader(await r.Content.ReadAsStreamAsync(stop.Token));
                    int chunks = 0;
                    try
                    {
                        while (await reader.ReadLineAsync(stop.Token) is { } line)
                        {
                            if (!line.StartsWith("data: {", StringComparison.Ordinal)) continue;
                            if (++chunks == 3) Interlocked.Increment(ref streaming);
                            var delta = JsonDocument.Parse(line[6..]).RootElement.GetProperty("choices");
                            if (delta.GetArrayLength() == 0) continue;
                            var d = delta[0].GetProperty("delta");
                            if (d.TryGetProperty("content", out var c)) answer.Append(c.GetString());
                            if (d.TryGetProperty("reasoning_content", out var rc)) reasoning.Append(rc.GetString());
                        }
                    }
                    finally
                    {
                        if (chunks >= 3) Interlocked.Decrement(ref streaming);
                    }
                }
                using (var r = await server.Http.PostAsync($"/api/conversations/{cid}/messages",
                           Json(new { role = "assistant", content = answer.ToString(), reasoning = reasoning.ToString(), meta = new { turn } }), stop.Token))
                {
                    r.EnsureSuccessStatusCode();
                    string id = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
                    acked.Enqueue(new Acked(cid, id, worker, "assistant", answer.ToString(), reasoning.ToString()));
                }
            }
        }

        async Task Import()
        {
            for (int k = 0; !stop.IsCancellationRequested; k++)
            {
                string title = $"imp-{round}-{k}";
                var doc = new
                {
                    format = ConversationExport.FormatName, exportedAt = 0,
                    conversations = new[]
                    {
                        new { id = "x", title, createdAt = 1, updatedAt = 1, settings = (object?)null,
                            messages = Enumerable.Range(0, ImportedMessages).Select(i => new { id = "m", role = i % 2 == 0 ? "user" : "assistant",
                                content = $"{title} message {i} " + new string('m', 500), reasoning = (string?)null, meta = (object?)null, createdAt = 1, updatedAt = 1 }).ToArray() },
                    },
                };
                using var r = await server.Http.PostAsync("/api/import", Json(doc), stop.Token);
                r.EnsureSuccessStatusCode();
                imports.Enqueue(title);
                await Task.Delay(20, stop.Token);   // leave the CPU to the streams
            }
        }

        var tasks = Enumerable.Range(0, 4).Select(w => Task.Run(() => Chat(w))).Append(Task.Run(Import)).ToArray();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((acked.Count < 8 || Volatile.Read(ref streaming) < 1) && DateTime.UtcNow < deadline && !tasks.Any(t => t.IsFaulted))
            await Task.Delay(5);
        if (tasks.FirstOrDefault(t => t.IsFaulted) is { } failed) Assert.Fail("a worker failed before the kill: " + failed.Exception);
        Assert.True(Volatile.Read(ref streaming) >= 1, $"no streams in flight after 60 s ({acked.Count} writes acknowledged)");
        server.Kill();
        stop.Cancel();
        foreach (var t in tasks)
        {
            try { await t; }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or JsonException) { }   // the server is gone
        }
        return ([.. acked], [.. imports]);
    }

    private void AssertIntact(List<Acked> acked, List<string> imports, int workers)
    {
        SqliteConnection.ClearAllPools();
        using (var c = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "conversations.db")}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", cmd.ExecuteScalar() as string);
        }
        var store = new ConversationStore(_dataDir);
        foreach (var group in acked.GroupBy(a => a.ConversationId))
        {
            var messages = store.Get(group.Key)!.Messages;
            var byId = messages.ToDictionary(m => m.Id);
            foreach (var a in group)
            {
                Assert.True(byId.TryGetValue(a.MessageId, out var m), $"acknowledged message {a.MessageId} ({a.Role}, worker {a.Worker}) lost");
                Assert.Equal(a.Role, m.Role);
                Assert.Equal(a.Content, m.Content);
                if (a.Role == "assistant") Assert.Equal(a.Reasoning, m.Reasoning);
            }
            // Each worker's messages in the order it wrote them; nothing else but at most one message in flight per worker.
            foreach (var worker in group.GroupBy(a => a.Worker))
            {
                var positions = worker.Select(a => messages.ToList().FindIndex(m => m.Id == a.MessageId)).ToList();
                Assert.Equal(positions.Order(), positions);
            }
            Assert.InRange(messages.Count - group.Count(), 0, workers);
        }
        var summaries = store.List(limit: int.MaxValue);
        foreach (var title in imports) Assert.Contains(summaries, s => s.Title == title);
        foreach (var s in summaries.Where(s => s.Title.StartsWith("imp-", StringComparison.Ordinal)))
        {
            var messages = store.Get(s.Id)!.Messages;
            Assert.Equal(ImportedMessages, messages.Count);   // all or nothing
            Assert.All(messages.Select((m, i) => (m, i)), x => Assert.StartsWith($"{s.Title} message {x.i} ", x.m.Content));
        }
    }

    [Fact]
    public async Task KillMidStreamKeepsEveryAcknowledgedWrite()
    {
        var clock = Stopwatch.StartNew();
        var allAcked = new List<Acked>();
        var allImports = new List<string>();
        string[] conversations;
        using (var server = await ServerProcess.StartAsync(_dataDir))
        {
            output.WriteLine($"started {clock.Elapsed.TotalSeconds:0.0} s");
            conversations = [await NewConversation(server.Http, "first"), await NewConversation(server.Http, "second")];
            var (acked, imports) = await WriteUntilKilled(server, conversations, round: 1);
            allAcked.AddRange(acked);
            allImports.AddRange(imports);
        }
        output.WriteLine($"killed {clock.Elapsed.TotalSeconds:0.0} s: {allAcked.Count} messages, {allImports.Count} imports acknowledged");
        AssertIntact(allAcked, allImports, workers: 4);
        output.WriteLine($"checked {clock.Elapsed.TotalSeconds:0.0} s");

        // The server opens the same database again, serves it, and survives a second kill.
        using (var server = await ServerProcess.StartAsync(_dataDir))
        {
            var served = JsonDocument.Parse(await server.Http.GetStringAsync($"/api/conversations/{conversations[0]}")).RootElement.GetProperty("messages");
            Assert.Equal(new ConversationStore(_dataDir).Get(conversations[0])!.Messages.Select(m => m.Id), served.EnumerateArray().Select(m => m.GetProperty("id").GetString()));
            var (acked, imports) = await WriteUntilKilled(server, conversations, round: 2);
            allAcked.AddRange(acked);
            allImports.AddRange(imports);
        }
        output.WriteLine($"killed {clock.Elapsed.TotalSeconds:0.0} s: {allAcked.Count} messages, {allImports.Count} imports acknowledged");
        AssertIntact(allAcked, allImports, workers: 8);
    }
}
