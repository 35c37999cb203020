using System.Diagnostics;
using System.Text;

namespace R1Sharp.Cli.Tests;

/// <summary>Runs the built `r1` (r1.dll next to the tests) as a child process, as a user would.</summary>
internal static class CliProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "r1.dll");

    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment["NO_COLOR"] = "1";
        return info;
    }

    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var p = Process.Start(StartInfo(args))!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Runs r1 to its end with <paramref name="stdin"/> (or none) as its input.</summary>
    public static Result Run(string? stdin, params string[] args)
    {
        using var p = Process.Start(StartInfo(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"r1 {string.Join(' ', args)} did not finish");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>Collects a child's output as it arrives, so a test can wait for a piece of it.</summary>
internal sealed class OutputBuffer
{
    private readonly StringBuilder _text = new();

    public void Pump(StreamReader reader) => _ = Task.Run(async () =>
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
            lock (_text) _text.Append(buffer, 0, n);
    });

    public string Text { get { lock (_text) return _text.ToString(); } }

    /// <summary>Waits until the output is at least <paramref name="length"/> characters long.</summary>
    public async Task WaitForLength(int length, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (Text.Length < length)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the output did not reach {length} characters:\n{Text}");
            await Task.Delay(25);
        }
    }

    /// <summary>Waits until <paramref name="what"/> occurs after position <paramref name="from"/>; returns where it ends.</summary>
    public async Task<int> WaitFor(string what, int from = 0, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            string text = Text;
            int at = from <= text.Length ? text.IndexOf(what, from, StringComparison.Ordinal) : -1;
            if (at >= 0) return at + what.Length;
            await Task.Delay(25);
        }
        throw new TimeoutException($"'{what}' did not appear after position {from}; output so far:\n{Text}");
    }
}
