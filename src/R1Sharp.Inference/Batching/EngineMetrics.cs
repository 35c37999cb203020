using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace R1Sharp.Inference.Batching;

/// <summary>Counters, gauges and histograms of the serving engine, rendered in the Prometheus text format
/// (https://prometheus.io/docs/instrumenting/exposition_formats/). Thread-safe.</summary>
public sealed class EngineMetrics
{
    private static readonly double[] LatencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
    private readonly object _gate = new();
    private readonly Dictionary<string, long> _requests = new(StringComparer.Ordinal);
    private long _promptTokens, _generatedTokens, _reasoningTokens, _cachedPromptTokens, _steps;
    private int _queueDepth, _busySlots, _slots;
    private readonly Histogram _requestSeconds = new(LatencyBuckets);
    private readonly Histogram _firstTokenSeconds = new(LatencyBuckets);
    private readonly Histogram _queueSeconds = new(LatencyBuckets);
    // Generated tokens per time for the tokens/s gauge: (timestamp, count) in the last window.
    private readonly Queue<(long Ticks, int Tokens)> _recent = new();
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    /// <summary>A request ended: finish reason stop or length (status "ok"), cancelled (the client went away),
    /// timeout, or error.</summary>
    public void RequestFinished(string endpoint, string finishReason) =>
        Add(_requests, Labels(endpoint, finishReason is "stop" or "length" ? "ok" : finishReason, finishReason));

    /// <summary>A request was refused before it was queued (reason: queue_full).</summary>
    public void RequestRejected(string endpoint, string reason) => Add(_requests, Labels(endpoint, "rejected", reason));

    private static string Labels(string endpoint, string status, string reason) =>
        $"endpoint=\"{endpoint}\",status=\"{status}\",finish_reason=\"{reason}\"";

    public void PromptProcessed(int tokens, int cached)
    {
        lock (_gate) { _promptTokens += tokens; _cachedPromptTokens += cached; }
    }

    public void TokensGenerated(int tokens, int reasoning)
    {
        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _generatedTokens += tokens;
            _reasoningTokens += reasoning;
            _recent.Enqueue((now, tokens));
            Trim(now);
        }
    }

    public void StepCompleted() { lock (_gate) _steps++; }

    public void SetOccupancy(int queueDepth, int busySlots, int slots)
    {
        lock (_gate) { _queueDepth = queueDepth; _busySlots = busySlots; _slots = slots; }
    }

    public void ObserveRequest(double seconds) { lock (_gate) _requestSeconds.Observe(seconds); }
    public void ObserveFirstToken(double seconds) { lock (_gate) _firstTokenSeconds.Observe(seconds); }
    public void ObserveQueueWait(double seconds) { lock (_gate) _queueSeconds.Observe(seconds); }

    public long GeneratedTokens { get { lock (_gate) return _generatedTokens; } }
    public long PromptTokens { get { lock (_gate) return _promptTokens; } }
    public int QueueDepth { get { lock (_gate) return _queueDepth; } }
    public int BusySlots { get { lock (_gate) return _busySlots; } }

    /// <summary>Generated tokens per second over the last 10 seconds.</summary>
    public double TokensPerSecond
    {
        get
        {
            long now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                Trim(now);
                long sum = 0;
                foreach (var (_, n) in _recent) sum += n;
                return sum / RateWindow.TotalSeconds;
            }
        }
    }

    private void Trim(long now)
    {
        long horizon = now - (long)(RateWindow.TotalSeconds * Stopwatch.Frequency);
        while (_recent.Count > 0 && _recent.Peek().Ticks < horizon) _recent.Dequeue();
    }

    private void Add(Dictionary<string, long> map, string key)
    {
        lock (_gate) map[key] = map.GetValueOrDefault(key) + 1;
    }

    public string ToPrometheusText()
    {
        double rate = TokensPerSecond;
        var sb = new StringBuilder();
        lock (_gate)
        {
            sb.Append("# HELP r1_requests_total Generation requests by endpoint, status (ok, cancelled, timeout, error, rejected) and finish reason.\n# TYPE r1_requests_total counter\n");
            if (_requests.Count == 0) sb.Append("r1_requests_total 0\n");
            foreach (var (k, v) in _requests.OrderBy(p => p.Key, StringComparer.Ordinal)) sb.Append("r1_requests_total{").Append(k).Append("} ").Append(v).Append('\n');
            Counter(sb, "r1_prompt_tokens_total", "Prompt tokens of completed admissions (cached ones included).", _promptTokens);
            Counter(sb, "r1_prompt_tokens_cached_total", "Prompt tokens reused from a slot's KV cache.", _cachedPromptTokens);
            Counter(sb, "r1_generated_tokens_total", "Generated tokens.", _generatedTokens);
            Counter(sb, "r1_reasoning_tokens_total", "Generated tokens inside <think>.", _reasoningTokens);
            Counter(sb, "r1_batch_steps_total", "Batched forward steps.", _steps);
            Gauge(sb, "r1_tokens_per_second", "Generated tokens per second over the last 10 s.", rate);
            Gauge(sb, "r1_queue_depth", "Requests waiting for a slot.", _queueDepth);
            Gauge(sb, "r1_busy_slots", "Slots generating or prefilling.", _busySlots);
            Gauge(sb, "r1_slots", "Configured parallel slots.", _slots);
            _requestSeconds.Write(sb, "r1_request_duration_seconds", "Time from submission to the last token.");
            _firstTokenSeconds.Write(sb, "r1_time_to_first_token_seconds", "Time from submission to the first generated token.");
            _queueSeconds.Write(sb, "r1_queue_wait_seconds", "Time a request waited for a slot.");
        }
        return sb.ToString();
    }

    private static void Counter(StringBuilder sb, string name, string help, long value) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(" counter\n")
          .Append(name).Append(' ').Append(value).Append('\n');

    private static void Gauge(StringBuilder sb, string name, string help, double value) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(" gauge\n")
          .Append(name).Append(' ').Append(Fmt(value)).Append('\n');

    private static string Fmt(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length];
        private long _count;
        private double _sum;

        public void Observe(double v)
        {
            for (int i = 0; i < bounds.Length; i++) if (v <= bounds[i]) _counts[i]++;
            _count++;
            _sum += v;
        }

        public void Write(StringBuilder sb, string name, string help)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(" histogram\n");
            for (int i = 0; i < bounds.Length; i++)
                sb.Append(name).Append("_bucket{le=\"").Append(Fmt(bounds[i])).Append("\"} ").Append(_counts[i]).Append('\n');
            sb.Append(name).Append("_bucket{le=\"+Inf\"} ").Append(_count).Append('\n');
            sb.Append(name).Append("_sum ").Append(Fmt(_sum)).Append('\n');
            sb.Append(name).Append("_count ").Append(_count).Append('\n');
        }
    }
}
