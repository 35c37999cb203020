namespace R1Sharp.Evaluation;

/// <summary>The metrics the DeepSeek-R1 paper reports: pass@1 estimated from k samples per problem (the mean
/// correctness of the samples), pass@k (Chen et al. 2021's unbiased estimator) and cons@k (majority vote).</summary>
public static class PassAtK
{
    /// <summary>Unbiased pass@k for one problem with n samples of which c are correct:
    /// 1 - C(n-c, k) / C(n, k), computed as a product to stay exact for large n.</summary>
    public static double Estimate(int n, int c, int k)
    {
        if (n < 1 || c < 0 || c > n || k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"need 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})");
        if (n - c < k) return 1.0;
        // C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k/i)
        double p = 1.0;
        for (int i = n - c + 1; i <= n; i++) p *= 1.0 - (double)k / i;
        return 1.0 - p;
    }

    /// <summary>pass@1 of one problem: the fraction of its samples that are correct.</summary>
    public static double Pass1(IReadOnlyList<bool> correct) => correct.Count == 0 ? 0 : correct.Count(x => x) / (double)correct.Count;

    /// <summary>The majority answer of several samples, grouped by <paramref name="voteKey"/> (default
    /// <see cref="AnswerMatcher.VoteKey"/>); samples with no answer do not vote. Ties go to the answer whose first
    /// sample came earliest. Null when no sample has an answer.</summary>
    public static string? MajorityVote(IEnumerable<string?> answers, Func<string, string>? voteKey = null)
    {
        voteKey ??= AnswerMatcher.VoteKey;
        var counts = new Dictionary<string, (int Count, int First, string Answer)>();
        int index = 0;
        foreach (string? a in answers)
        {
            index++;
            if (string.IsNullOrWhiteSpace(a)) continue;
            string key = voteKey(a);
            counts[key] = counts.TryGetValue(key, out var e) ? (e.Count + 1, e.First, e.Answer) : (1, index, a);
        }
        if (counts.Count == 0) return null;
        return counts.Values.OrderByDescending(e => e.Count).ThenBy(e => e.First).First().Answer;
    }
}
