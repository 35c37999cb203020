using System.Diagnostics;
using System.Text.RegularExpressions;
using R1Sharp.Gguf;
using R1Sharp.TestSupport;

namespace R1Sharp.Cli.Tests;

/// <summary>`r1 chat` in a real pseudo-terminal (util-linux `script`), typed at like a user: Ctrl-C during an answer
/// stops that answer and returns to the prompt with the conversation kept, the terminal is not left dimmed, /help and
/// unknown /commands are the chat's own, and Ctrl-C at the prompt exits.</summary>
public sealed partial class ChatInterruptTests
{
    /// <summary>The golden random-weight model with a 32k context, so that (with --ignore-eos) an answer runs long
    /// enough to be interrupted.</summary>
    private static string LongContextModel()
    {
        string path = Path.Combine(Path.GetTempPath(), $"r1-chat-test-{Environment.ProcessId}.gguf");
        if (File.Exists(path)) return path;
        using var source = GgufFile.Open(Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf"));
        var writer = new GgufWriter().CopyMetadata(source).Set("qwen2.context_length", 32768u);
        foreach (var t in source.Tensors) writer.AddTensor(t.Name, t.Type, t.Dimensions, source.GetTensorBytes(t).ToArray());
        writer.Write(path);
        return path;
    }

    [GeneratedRegex(@"\[(\d+) prompt tokens")]
    private static partial Regex PromptTokens();

    [Fact]
    public async Task CtrlCStopsTheAnswerAndKeepsTheConversation()
    {
        if (!File.Exists("/usr/bin/script") && !File.Exists("/bin/script"))
        {
            await SignalWithoutTerminal();
            return;
        }
        string model = LongContextModel();
        string command = $"exec dotnet '{CliProcess.Dll}' chat -m '{model}' --ctx-size 32768 --ignore-eos --temp 0 -t 1";
        var info = new ProcessStartInfo("script") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-qfec", command, "/dev/null" }) info.ArgumentList.Add(a);
        info.Environment["TERM"] = "xterm";
        info.Environment.Remove("NO_COLOR");
        using var p = Process.Start(info)!;
        var output = new OutputBuffer();
        output.Pump(p.StandardOutput);
        output.Pump(p.StandardError);
        async Task Type(string keys) { await p.StandardInput.WriteAsync(keys); await p.StandardInput.FlushAsync(); }
        try
        {
            int at = await output.WaitFor("> ", await output.WaitFor("r1 chat with"));
            await Type("hello\r");
            at = await output.WaitFor("\x1b[2m", at);                 // the dimmed thinking has started
            await Task.Delay(300);
            await Type("\x03");
            int stopped = await output.WaitFor("(stopped)", at);
            string first = output.Text[at..stopped];
            Assert.Contains("\x1b[0m", first);                         // dimming ended before the prompt came back
            at = await output.WaitFor("> ", stopped);
            int firstPrompt = int.Parse(PromptTokens().Match(output.Text, stopped).Groups[1].Value);

            await Type("/help\r");
            at = await output.WaitFor("/reset", at);
            await Type("/nonsense\r");
            at = await output.WaitFor("unknown command /nonsense", at);

            await Type("and again\r");
            at = await output.WaitFor("again", at);
            await output.WaitForLength(at + 40);                       // the reply is streaming (thought or answer)
            await Type("\x03");
            stopped = await output.WaitFor("(stopped)", at);
            int secondPrompt = int.Parse(PromptTokens().Match(output.Text, stopped).Groups[1].Value);
            // The second prompt holds the first turn (question and the answer so far): the conversation was kept.
            Assert.True(secondPrompt > firstPrompt + 3, $"{firstPrompt} then {secondPrompt}");
            await output.WaitFor("> ", stopped);

            await Type("\x03");                                        // at the prompt: exit
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await p.WaitForExitAsync(cts.Token);
            string all = output.Text;
            Assert.True(all.LastIndexOf("\x1b[2m", StringComparison.Ordinal) < all.LastIndexOf("\x1b[0m", StringComparison.Ordinal));
            Assert.DoesNotContain("Unhandled", all);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            File.Delete(model);
        }
    }

    /// <summary>Without `script`: SIGINT sent to the chat process while it answers (redirected, so no dimming).</summary>
    private static async Task SignalWithoutTerminal()
    {
        string model = LongContextModel();
        var info = CliProcess.StartInfo("chat", "-m", model, "--ctx-size", "32768", "--ignore-eos", "--temp", "0", "-t", "1");
        using var p = Process.Start(info)!;
        var output = new OutputBuffer();
        output.Pump(p.StandardOutput);
        output.Pump(p.StandardError);
        try
        {
            await output.WaitFor("r1 chat with");
            await p.StandardInput.WriteLineAsync("hello");
            await p.StandardInput.FlushAsync();
            int at = await output.WaitFor("<think>");
            await Task.Delay(300);
            using (var kill = Process.Start("kill", ["-INT", p.Id.ToString()])) await kill!.WaitForExitAsync();
            await output.WaitFor("(stopped)", at);
            await p.StandardInput.WriteLineAsync("/exit");
            await p.StandardInput.FlushAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await p.WaitForExitAsync(cts.Token);
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            File.Delete(model);
        }
    }
}
