using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace R1Sharp.Server.Tests.Browser;

/// <summary>
/// The chat web app in real Chromium against a real server on loopback (the conversation store in SQLite and the
/// scripted chat API): streaming reasoning then answer, stop, reload, restart, safe rendering, list management.
/// </summary>
public sealed class ChatAppBrowserTests(BrowserSession session) : IClassFixture<BrowserSession>, IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "r1-webapp-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, true); } catch (IOException) { }
    }

    private static async Task OpenAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.Locator("body[data-ready=true]").WaitForAsync();
    }

    private static async Task SendAsync(IPage page, string text)
    {
        await page.GetByTestId("composer").FillAsync(text);
        await page.GetByTestId("composer").PressAsync("Enter");
    }

    [BrowserFact]
    public async Task StreamsReasoningThenAnswer_SurvivesReloadAndRestart()
    {
        var server = await ChatAppServer.StartAsync(_dataDir);
        server.Script.Reasoning = ["Six ", "sevens ", "are ", "forty-", "two; ", "checking ", "again."];
        server.Script.Answer = ["The answer ", "is **42**", "."];
        server.Script.Delay = TimeSpan.FromMilliseconds(200);
        var (context, page, errors) = await session.NewPageAsync();
        await OpenAsync(page, server.BaseUrl);
        await Expect(page.Locator("#model-name")).ToHaveTextAsync(PacedScriptEngine.Name);

        await SendAsync(page, "What is 6 times 7?");
        await Expect(page.GetByTestId("message-user")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("What is 6 times 7\\?"));
        await Expect(page.GetByTestId("stop")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("send")).ToBeHiddenAsync();

        // The reasoning streams live in its own open block while the answer has not started.
        var reasoning = page.GetByTestId("reasoning");
        var answer = page.GetByTestId("message-assistant").Locator(".content");
        await Expect(reasoning.Locator(".reasoning-body")).ToContainTextAsync("Six sevens");
        await Expect(reasoning.Locator(".reasoning-toggle")).ToHaveTextAsync("Thinking\u2026");
        await Expect(answer).ToBeHiddenAsync();
        // Then the answer streams and the thought folds away into "Thought for N seconds".
        await Expect(answer).ToContainTextAsync("The answer");
        await Expect(answer.Locator("strong")).ToHaveTextAsync("42");
        await Expect(page.GetByTestId("send")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("stop")).ToBeHiddenAsync();
        await Expect(reasoning.Locator(".reasoning-toggle")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Thought for \d+ seconds?$"));
        await Expect(reasoning.Locator(".reasoning-body")).ToBeHiddenAsync();
        await reasoning.Locator(".reasoning-toggle").ClickAsync();
        await Expect(reasoning.Locator(".reasoning-body")).ToHaveTextAsync("Six sevens are forty-two; checking again.");
        var stats = page.GetByTestId("message-assistant").Locator(".stats");
        await Expect(stats).ToContainTextAsync(PacedScriptEngine.Name);
        await Expect(stats).ToContainTextAsync("10 tokens");
        await Expect(stats).ToContainTextAsync("tokens/s");

        var item = page.GetByTestId("conversation-item");
        await Expect(item).ToHaveCountAsync(1);
        await Expect(item).ToContainTextAsync("What is 6 times 7?");
        Assert.Equal("What is 6 times 7?", Assert.Single(Assert.Single(server.Script.Requests).Messages).Content);

        // Reload: the conversation is listed and, from the URL, open again.
        await page.ReloadAsync();
        await page.Locator("body[data-ready=true]").WaitForAsync();
        await Expect(page.GetByTestId("conversation-item")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("message-assistant").Locator(".content strong")).ToHaveTextAsync("42");

        // Restart the server on the same data folder (new port): still there.
        await server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        server = await ChatAppServer.StartAsync(_dataDir);
        try
        {
            await OpenAsync(page, server.BaseUrl);
            await Expect(page.GetByTestId("message-user")).ToHaveCountAsync(0);
            await page.GetByTestId("conversation-item").GetByText("What is 6 times 7?").ClickAsync();
            await Expect(page.GetByTestId("message-user")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("What is 6 times 7\\?"));
            await Expect(page.GetByTestId("message-assistant").Locator(".content")).ToHaveTextAsync("The answer is 42.");
            await Expect(page.GetByTestId("reasoning").Locator(".reasoning-toggle")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Thought for \d+ seconds?$"));
            Assert.Empty(errors);
        }
        finally
        {
            await context.CloseAsync();
            await server.DisposeAsync();
        }
    }

    [BrowserFact]
    public async Task StopAbortsTheStreamAndKeepsThePartialAnswer()
    {
        await using var server = await ChatAppServer.StartAsync(_dataDir);
        server.Script.Reasoning = [.. Enumerable.Range(0, 200).Select(i => $"step {i}. ")];
        server.Script.Delay = TimeSpan.FromMilliseconds(50);
        var (context, page, errors) = await session.NewPageAsync();
        await OpenAsync(page, server.BaseUrl);

        await SendAsync(page, "Think for a long time");
        await Expect(page.GetByTestId("reasoning").Locator(".reasoning-body")).ToContainTextAsync("step 3.");
        await page.GetByTestId("stop").ClickAsync();
        await Expect(page.GetByTestId("stop")).ToBeHiddenAsync();
        await Expect(page.GetByTestId("send")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("message-assistant").Locator(".stats")).ToContainTextAsync("stopped");
        var shown = await page.GetByTestId("reasoning").Locator(".reasoning-body").TextContentAsync();
        Assert.DoesNotContain("step 199.", shown);

        // The partial answer was saved: the store has it, marked stopped.
        var id = (await page.EvaluateAsync<string>("location.hash")).Split('/').Last();
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        // the page shows "stopped" before its save of the partial answer reaches the store: wait for the save (bounded)
        JsonElement messages = default;
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(15); await Task.Delay(100))
        {
            messages = (await http.GetFromJsonAsync<JsonElement>($"/api/conversations/{id}")).GetProperty("messages");
            if (messages.GetArrayLength() >= 2 && messages[1].TryGetProperty("meta", out var meta) && meta.TryGetProperty("stopped", out _)) break;
        }
        Assert.Equal(2, messages.GetArrayLength());
        var last = messages[1];
        Assert.Equal("assistant", last.GetProperty("role").GetString());
        Assert.StartsWith("step 0. step 1. step 2. step 3.", last.GetProperty("reasoning").GetString());
        Assert.True(last.GetProperty("meta").GetProperty("stopped").GetBoolean());
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    [BrowserFact]
    public async Task MarkupInMessagesIsShownAsTextAndNeverRuns()
    {
        await using var server = await ChatAppServer.StartAsync(_dataDir);
        const string userText = "<img src=x onerror=\"window.__pwned=1\"><b>bold?</b> <script>window.__pwned=2</script>";
        server.Script.Reasoning = ["<iframe src=\"javascript:window.__pwned=3\"></iframe>"];
        server.Script.Answer =
        [
            "Echo: <img src=x onerror=\"window.__pwned=4\"> <b>not bold</b> ",
            "[click](javascript:window.__pwned=5) <svg onload=\"window.__pwned=6\"></svg>\n\n",
            "Math $x^2 + y^2 = z^2$ and \\[\\int_0^1 x\\,dx = \\tfrac12\\] done.\n\n",
            "```python\ndef f(x):\n    return '<script>window.__pwned=7</script>'\n```\n",
        ];
        var (context, page, errors) = await session.NewPageAsync();
        await OpenAsync(page, server.BaseUrl);
        await SendAsync(page, userText);
        await Expect(page.GetByTestId("send")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(page.GetByTestId("message-assistant").Locator(".stats")).ToContainTextAsync("tokens");

        foreach (var pass in new[] { "live", "reloaded" })
        {
            Assert.Null(await page.EvaluateAsync<int?>("window.__pwned ?? null"));
            Assert.Equal(userText, await page.GetByTestId("message-user").Locator(".bubble").TextContentAsync());
            var messages = page.Locator("#messages article");
            Assert.Equal(0, await messages.Locator("img, script, iframe, b, svg[onload], [onerror], [onload]").CountAsync());
            Assert.Equal(0, await messages.Locator("a[href^='javascript']").CountAsync());
            var content = page.GetByTestId("message-assistant").Locator(".content");
            await Expect(content).ToContainTextAsync("<b>not bold</b>");
            await Expect(content).ToContainTextAsync("<img src=x onerror=\"window.__pwned=4\">");
            await Expect(content.Locator(".katex")).ToHaveCountAsync(2);          // inline and display math rendered
            await Expect(content.Locator(".katex-display")).ToHaveCountAsync(1);
            await Expect(content.Locator("pre code .hljs-keyword").First).ToHaveTextAsync("def");
            await Expect(content.Locator("pre code")).ToContainTextAsync("<script>window.__pwned=7</script>");
            await page.GetByTestId("reasoning").Locator(".reasoning-toggle").ClickAsync();
            await Expect(page.GetByTestId("reasoning").Locator(".reasoning-body")).ToContainTextAsync("<iframe src=");
            if (pass == "live") { await page.ReloadAsync(); await page.Locator("body[data-ready=true]").WaitForAsync(); }
        }
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    [BrowserFact]
    public async Task ListRenameSearchDeleteAndPerConversationSettings()
    {
        await using var server = await ChatAppServer.StartAsync(_dataDir);
        server.Script.Delay = TimeSpan.FromMilliseconds(5);
        var (context, page, errors) = await session.NewPageAsync();
        await OpenAsync(page, server.BaseUrl);

        await SendAsync(page, "First question about apples");
        await Expect(page.GetByTestId("send")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("message-assistant").Locator(".stats")).ToContainTextAsync("tokens");

        // Thinking off and a temperature for the second conversation only.
        await page.GetByTestId("new-chat").ClickAsync();
        await Expect(page.GetByTestId("message-user")).ToHaveCountAsync(0);
        await page.Locator("#think-toggle").ClickAsync();
        await Expect(page.Locator("#think-toggle")).ToHaveAttributeAsync("aria-pressed", "false");
        await page.Locator("#open-settings").ClickAsync();
        await page.Locator("input[name=temperature]").FillAsync("1.2");
        await page.Locator("#open-settings").ClickAsync();
        await SendAsync(page, "Second question about bananas");
        await Expect(page.GetByTestId("message-assistant").Locator(".stats")).ToContainTextAsync("tokens");
        await Expect(page.GetByTestId("reasoning")).ToBeHiddenAsync();
        var second = server.Script.Requests[1].Parameters;
        Assert.Equal(0, second.ThinkingBudget);
        Assert.Equal(1.2f, second.Temperature!.Value, 3);
        Assert.Null(server.Script.Requests[0].Parameters.ThinkingBudget);
        Assert.Equal(0.6f, server.Script.Requests[0].Parameters.Temperature!.Value, 3);
        await Expect(page.GetByTestId("conversation-item")).ToHaveCountAsync(2);

        // Regenerate the last answer: one more request, still one answer.
        await page.GetByRole(AriaRole.Button, new() { Name = "Regenerate answer" }).ClickAsync();
        for (var wait = 0; server.Script.Requests.Count < 3 && wait < 300; wait++) await Task.Delay(50);
        Assert.Equal(3, server.Script.Requests.Count);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Regenerate answer" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("message-assistant").Locator(".stats")).ToContainTextAsync("tokens");
        await Expect(page.GetByTestId("message-assistant")).ToHaveCountAsync(1);

        // Settings are per conversation: the first one still thinks.
        await page.GetByTestId("conversation-item").GetByText("First question about apples").ClickAsync();
        await Expect(page.Locator("#think-toggle")).ToHaveAttributeAsync("aria-pressed", "true");

        // Search by message text.
        await page.Locator("#search").FillAsync("bananas");
        await Expect(page.GetByTestId("conversation-item")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("conversation-item")).ToContainTextAsync("Second question");
        await page.Locator("#search").FillAsync("");
        await Expect(page.GetByTestId("conversation-item")).ToHaveCountAsync(2);

        // Rename with the keyboard.
        var apples = page.GetByTestId("conversation-item").Filter(new() { HasText = "apples" });
        await apples.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Rename") }).ClickAsync();
        await page.Locator(".rename-input").FillAsync("Fruit <i>talk</i>");
        await page.Locator(".rename-input").PressAsync("Enter");
        await Expect(page.GetByTestId("conversation-item").Filter(new() { HasText = "Fruit <i>talk</i>" })).ToHaveCountAsync(1);
        await Expect(page.Locator("#chat-title")).ToHaveTextAsync("Fruit <i>talk</i>");

        // Delete (two steps).
        var renamed = page.GetByTestId("conversation-item").Filter(new() { HasText = "Fruit" });
        await renamed.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Delete") }).ClickAsync();
        await renamed.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Confirm deleting") }).ClickAsync();
        await Expect(page.GetByTestId("conversation-item")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("message-user")).ToHaveCountAsync(0);     // the open conversation was the deleted one

        // Shift+Enter makes a new line instead of sending.
        await page.GetByTestId("composer").FillAsync("line one");
        await page.GetByTestId("composer").PressAsync("Shift+Enter");
        await page.GetByTestId("composer").PressSequentiallyAsync("line two");
        Assert.Equal("line one\nline two", await page.GetByTestId("composer").InputValueAsync());
        await Expect(page.GetByTestId("message-user")).ToHaveCountAsync(0);
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    [BrowserFact]
    public async Task ScreenshotsLightDarkDesktopPhone()
    {
        await using var server = await ChatAppServer.StartAsync(_dataDir);
        server.Script.Delay = TimeSpan.FromMilliseconds(5);
        server.Script.Reasoning = ["The user asks for the sum of the first n odd numbers. ", "1, 1+3=4, 1+3+5=9: squares. ", "Induction: n^2 + (2n+1) = (n+1)^2."];
        server.Script.Answer =
        [
            "The sum of the first $n$ odd numbers is a perfect square:\n\n",
            "$$\\sum_{k=1}^{n} (2k-1) = n^2$$\n\n",
            "**Proof by induction.** For $n=1$ it is $1 = 1^2$. If it holds for $n$, adding the next odd number gives ",
            "\\(n^2 + 2n + 1 = (n+1)^2\\).\n\nA quick check in Python:\n\n",
            "```python\ndef odd_sum(n):\n    return sum(2 * k - 1 for k in range(1, n + 1))\n\nassert all(odd_sum(n) == n * n for n in range(100))\n```\n",
        ];
        // The tracked screenshots in docs/ change only when asked (R1_UPDATE_SCREENSHOTS=1); otherwise they go to artifacts/.
        var outDir = Environment.GetEnvironmentVariable("R1_UPDATE_SCREENSHOTS") == "1"
            ? Path.Combine(R1Sharp.TestSupport.Fixtures.RepoRoot, "docs", "screenshots")
            : Path.Combine(R1Sharp.TestSupport.Fixtures.RepoRoot, "artifacts", "screenshots");
        Directory.CreateDirectory(outDir);

        var (context, page, errors) = await session.NewPageAsync();
        await OpenAsync(page, server.BaseUrl);
        await SendAsync(page, "Show that the sum of the first n odd numbers is n squared.");
        await Expect(page.GetByTestId("message-assistant").Locator(".stats")).ToContainTextAsync("tokens");
        await page.GetByTestId("reasoning").Locator(".reasoning-toggle").ClickAsync();
        var url = page.Url;
        Assert.Empty(errors);
        await context.CloseAsync();

        foreach (var (name, width, height) in new[] { ("desktop", 1280, 800), ("phone", 390, 844) })
            foreach (var theme in new[] { "light", "dark" })
            {
                var (c, p, errs) = await session.NewPageAsync(width, height, theme);
                await OpenAsync(p, url);
                await Expect(p.GetByTestId("message-assistant").Locator(".katex-display")).ToHaveCountAsync(1);
                await p.GetByTestId("reasoning").Locator(".reasoning-toggle").ClickAsync();
                Assert.Equal(theme, await p.EvaluateAsync<string>("document.documentElement.dataset.theme"));
                await p.EvaluateAsync("document.fonts.ready");
                await p.ScreenshotAsync(new() { Path = Path.Combine(outDir, $"chat-{name}-{theme}.png") });
                if (name == "phone")
                {
                    // The phone layout hides the list behind a button; it opens over the chat.
                    await p.Locator("#open-sidebar").ClickAsync();
                    await Expect(p.GetByTestId("new-chat")).ToBeVisibleAsync();
                    await Expect(p.GetByTestId("conversation-item")).ToHaveCountAsync(1);
                    await p.WaitForTimeoutAsync(300);   // the slide-in transition
                    await p.ScreenshotAsync(new() { Path = Path.Combine(outDir, $"chat-{name}-{theme}-list.png") });
                }
                Assert.Empty(errs);
                await c.CloseAsync();
            }
    }
}
