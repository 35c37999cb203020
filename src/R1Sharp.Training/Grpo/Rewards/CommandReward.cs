using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace R1Sharp.Training.Grpo.Rewards;

/// <summary>
/// A reward computed by any program: the shell command runs once for the whole training run (a long-lived process)
/// and, for every completion, reads one JSON line on stdin and writes one line with its score (a number) on stdout,
/// in order. Each line: <c>{"prompt": user text, "completion": generated text, "answer": gold or null, "task": task or
/// null, "completion_tokens": n, "truncated": bool, "row": the data row as given}</c>. A batch's lines are written
/// (and flushed) together, then as many scores are read. A process that exits, writes something other than a
/// finite number, or stays silent past the timeout stops training with a one-line error (with its last stderr line).
/// </summary>
public sealed class CommandReward : IRewardFunction
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Process _process;
    private readonly TimeSpan _timeout;
    private readonly Queue<string> _stderr = new();
    private readonly object _stderrGate = new();

    public string Name { get; }
    public string Command { get; }

    public CommandReward(string name, string command, TimeSpan? timeout = null)
    {
        Name = name;
        Command = command;
        _timeout = timeout ?? TimeSpan.FromMinutes(5);
        var psi = OperatingSystem.IsWindows() ? new ProcessStartInfo("cmd.exe") : new ProcessStartInfo("/bin/sh");
        psi.ArgumentList.Add(OperatingSystem.IsWindows() ? "/c" : "-c");
        psi.ArgumentList.Add(command);
        psi.RedirectStandardInput = psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        psi.StandardInputEncoding = psi.StandardOutputEncoding = new UTF8Encoding(false);
        try { _process = Process.Start(psi) ?? throw new InvalidOperationException("no process"); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new InvalidOperationException($"reward '{name}': cannot start '{command}': {e.Message}");
        }
        _process.ErrorDataReceived += (_, e) =>
        {
            if (string.IsNullOrWhiteSpace(e.Data)) return;
            lock (_stderrGate)
            {
                _stderr.Enqueue(e.Data);
                if (_stderr.Count > 5) _stderr.Dequeue();
            }
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>The JSON line a sample is sent as.</summary>
    public static string ToJsonLine(RewardSample s)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("prompt", s.Prompt.Question);
            w.WriteString("completion", s.Completion);
            if (s.Prompt.Problem is { } p) w.WriteString("answer", p.Gold); else w.WriteNull("answer");
            if (s.Prompt.Problem?.Task is string task) w.WriteString("task", task); else w.WriteNull("task");
            w.WriteNumber("completion_tokens", s.CompletionTokens);
            w.WriteBoolean("truncated", s.Truncated);
            w.WritePropertyName("row");
            w.WriteRawValue(s.Prompt.RowJson, skipInputValidation: true);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    public void Score(IReadOnlyList<RewardSample> samples, Span<double> scores)
    {
        if (samples.Count == 0) return;
        var lines = samples.Select(ToJsonLine).ToList();
        var write = Task.Run(() =>
        {
            // Written on another thread while scores are read: a process that answers line by line never blocks on a full pipe.
            foreach (string l in lines) _process.StandardInput.Write(l + "\n");
            _process.StandardInput.Flush();
        });
        using var cts = new CancellationTokenSource(_timeout);
        for (int i = 0; i < samples.Count; i++)
        {
            string? line;
            try { line = _process.StandardOutput.ReadLineAsync(cts.Token).AsTask().GetAwaiter().GetResult(); }
            catch (OperationCanceledException)
            {
                throw Failure($"wrote no score for completion {i + 1} of {samples.Count} within {_timeout.TotalSeconds:F0} s");
            }
            if (line is null) throw Failure(Exited($"exited after {i} of {samples.Count} scores"));
            string t = line.Trim();
            if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                throw Failure($"wrote '{Clip(t)}' for completion {i + 1}; expected one finite number per line");
            scores[i] = v;
        }
        try { write.GetAwaiter().GetResult(); }
        catch (IOException) { throw Failure(Exited("closed its input")); }
    }

    private string Exited(string what)
    {
        if (!_process.WaitForExit(2000)) return what;
        _process.WaitForExit(); // drains stderr
        return $"{what} (exit code {_process.ExitCode})";
    }

    private InvalidOperationException Failure(string what)
    {
        string? last;
        lock (_stderrGate) last = _stderr.LastOrDefault();
        return new InvalidOperationException($"reward '{Name}' ('{Clip(Command)}') {what}" + (last is null ? "" : $"; its stderr: {Clip(last)}"));
    }

    private static string Clip(string s) => s.Length <= 120 ? s : s[..117] + "...";

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close(); // end of input: a well-behaved reward exits by itself
                if (!_process.WaitForExit(2000)) _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException) { }
        _process.Dispose();
    }
}
