using System.Diagnostics;

namespace R1Sharp.Evaluation;

/// <summary>One sampled completion, split at the reasoning/answer boundary.</summary>
/// <param name="Reasoning">Text inside &lt;think&gt;...&lt;/think&gt; (without the tags).</param>
/// <param name="Answer">Text after &lt;/think&gt;; empty when the model never closed its reasoning.</param>
public sealed record Completion(string Reasoning, string Answer, int ReasoningTokens, int AnswerTokens);

/// <summary>Produces <c>samples</c> completions of one prompt (a model adapter; may batch the samples).</summary>
public interface ICompletionSource
{
    IReadOnlyList<Completion> Complete(string prompt, int samples, CancellationToken cancellationToken);
}

public sealed record EvalOptions
{
    /// <summary>Samples per problem: pass@1 is averaged over them and cons@k votes among them.</summary>
    public int K { get; init; } = 4;
    /// <summary>Append the R1 paper's "put your final answer within \boxed{}" to GSM8K and MATH prompts.</summary>
    public bool AddInstruction { get; init; } = true;
    /// <summary>Problems sampled at the same time (a remote endpoint serves many requests at once); results keep the
    /// data's order.</summary>
    public int ProblemsInFlight { get; init; } = 1;
}

public sealed record SampleResult(string? Extracted, bool Correct, int ReasoningTokens, int AnswerTokens, bool Finished);

public sealed record ProblemResult(EvalItem Item, IReadOnlyList<SampleResult> Samples, string? Vote, bool VoteCorrect)
{
    public double Pass1 => PassAtK.Pass1(Samples.Select(s => s.Correct).ToList());
}

/// <summary>Aggregates over problems: pass@1 (mean over k samples, then over problems), cons@k (majority vote),
/// pass@k (unbiased estimator with n = k), mean reasoning and answer tokens per sample.</summary>
public sealed record EvalReport(
    int Problems, int K, double Pass1, double ConsK, double PassK,
    double AvgReasoningTokens, double AvgAnswerTokens, double NoAnswerRate, double UnfinishedRate,
    TimeSpan Elapsed, IReadOnlyList<ProblemResult> Results);

public static class EvalRunner
{
    /// <summary>The answer a completion states: from the answer section, or, when the reasoning was never closed,
    /// from the reasoning text (so an unfinished sample can still be scored; it is counted in UnfinishedRate).
    /// Countdown problems read an expression, others a final number (<see cref="AnswerVerifier"/>).</summary>
    public static string? ExtractAnswer(EvalItem item, Completion c) =>
        AnswerVerifier.Extract(item, c.Answer.Length > 0 ? c.Answer : c.Reasoning);

    public static ProblemResult Score(EvalItem item, IReadOnlyList<Completion> completions)
    {
        var samples = completions.Select(c =>
        {
            string? a = ExtractAnswer(item, c);
            return new SampleResult(a, AnswerVerifier.IsCorrect(item, a), c.ReasoningTokens, c.AnswerTokens, c.Answer.Length > 0);
        }).ToList();
        string? vote = PassAtK.MajorityVote(samples.Select(s => s.Extracted), a => AnswerVerifier.VoteKey(item, a));
        return new ProblemResult(item, samples, vote, AnswerVerifier.IsCorrect(item, vote));
    }

    /// <summary>One report per task (rows without a task are grouped under "other"), in order of first appearance.</summary>
    public static IReadOnlyList<(string Task, EvalReport Report)> SummarizeByTask(EvalReport report) =>
        [.. report.Results.GroupBy(r => r.Item.Task ?? "other")
            .Select(g => (g.Key, Summarize(g.ToList(), report.K, TimeSpan.Zero)))];

    public static EvalReport Summarize(IReadOnlyList<ProblemResult> results, int k, TimeSpan elapsed)
    {
        if (results.Count == 0) return new EvalReport(0, k, 0, 0, 0, 0, 0, 0, 0, elapsed, results);
        var all = results.SelectMany(r => r.Samples).ToList();
        return new EvalReport(
            results.Count, k,
            results.Average(r => r.Pass1),
            results.Average(r => r.VoteCorrect ? 1.0 : 0.0),
            results.Average(r => PassAtK.Estimate(r.Samples.Count, r.Samples.Count(s => s.Correct), Math.Min(k, r.Samples.Count))),
            all.Average(s => (double)s.ReasoningTokens),
            all.Average(s => (double)s.AnswerTokens),
            all.Average(s => s.Extracted is null ? 1.0 : 0.0),
            all.Average(s => s.Finished ? 0.0 : 1.0),
            elapsed, results);
    }

    /// <summary>Runs every item through <paramref name="source"/> (k samples each) and scores it.
    /// <paramref name="progress"/> gets (done, total, pass@1 so far) after each problem.</summary>
    public static EvalReport Run(IReadOnlyList<EvalItem> items, ICompletionSource source, EvalOptions options,
                                 Action<int, int, double>? progress = null, CancellationToken cancellationToken = default)
    {
        if (options.K < 1) throw new ArgumentOutOfRangeException(nameof(options), "k must be at least 1");
        if (options.ProblemsInFlight < 1) throw new ArgumentOutOfRangeException(nameof(options), "problems in flight must be at least 1");
        var sw = Stopwatch.StartNew();
        var slots = new ProblemResult?[items.Count];
        int done = 0;
        double pass1Sum = 0;
        var gate = new object();
        void One(int i)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var item = items[i];
            var completions = source.Complete(item.Prompt(options.AddInstruction), options.K, cancellationToken);
            if (completions.Count != options.K)
                throw new InvalidOperationException($"the model returned {completions.Count} samples, expected {options.K}");
            var r = Score(item, completions);
            lock (gate)
            {
                slots[i] = r;
                pass1Sum += r.Pass1;
                progress?.Invoke(++done, items.Count, pass1Sum / done);
            }
        }
        if (options.ProblemsInFlight == 1)
            for (int i = 0; i < items.Count; i++) One(i); // in order: a local source's seeds follow the call order
        else
        {
            try
            {
                Parallel.For(0, items.Count, new ParallelOptions { MaxDegreeOfParallelism = options.ProblemsInFlight, CancellationToken = cancellationToken }, One);
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
        var results = slots.Select(r => r!).ToList();
        return Summarize(results, options.K, sw.Elapsed);
    }
}
