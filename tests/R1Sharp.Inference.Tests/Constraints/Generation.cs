using System.Text;
using R1Sharp.Inference.Constraints;
using R1Sharp.Tokenization;

namespace R1Sharp.Inference.Tests.Constraints;

/// <summary>A tiny constrained sampling loop, as an engine runs it: logits from a source, the constraint's mask,
/// end-of-generation tokens masked while the text cannot end, a draw at temperature 1 or greedy. It asserts at every
/// step that the mask leaves a token to draw (no dead end) and that the drawn token is allowed.</summary>
internal static class Generation
{
    public sealed record Result(string Text, bool Finished, int Tokens, List<int> Ids);

    /// <summary>Runs until the constraint must end, an end-of-generation token is drawn, or <paramref name="maxTokens"/>.</summary>
    /// <param name="nextLogits">logits for the next token given the previous one (-1 at the start), a fresh array; null
    /// for random logits: i.i.d. uniform in [0, 8) (a model with no preference), drawn only where the mask left a token.</param>
    public static Result Run(GrammarConstraint constraint, Tokenizer tokenizer, Func<int, float[]>? nextLogits, bool greedy, int seed, int maxTokens)
    {
        var rng = new Random(seed);
        var bytes = new List<byte>();
        var ids = new List<int>();
        int last = -1;
        var eog = tokenizer.EndOfGenerationIds;
        var random = nextLogits == null ? new float[tokenizer.VocabSize] : null;
        for (int step = 0; step < maxTokens; step++)
        {
            if (constraint.MustEnd) return new Result(Encoding.UTF8.GetString([.. bytes]), true, step, ids);
            float[] logits;
            if (random != null)
            {
                Array.Clear(random);
                logits = random;
            }
            else logits = nextLogits!(last);
            constraint.Mask(logits);
            if (!constraint.CanEnd) foreach (int e in eog) logits[e] = float.NegativeInfinity;
            if (random != null)
                for (int i = 0; i < logits.Length; i++)
                    if (logits[i] == 0) logits[i] = rng.NextSingle() * 8;
            bool any = false;
            for (int i = 0; i < logits.Length && !any; i++) any = float.IsFinite(logits[i]) && !eog.Contains(i);
            if (!any) Assert.Fail($"dead end after {Encoding.UTF8.GetString([.. bytes])}");
            int t = greedy ? ArgMax(logits) : Draw(logits, rng);
            if (eog.Contains(t))
            {
                Assert.True(constraint.CanEnd);
                return new Result(Encoding.UTF8.GetString([.. bytes]), true, step, ids);
            }
            if (!constraint.Allows(t)) Assert.Fail($"token {t} drawn from the mask but not allowed");
            constraint.Accept(t);
            bytes.AddRange(tokenizer.TokenBytes(t).ToArray());
            ids.Add(t);
            last = t;
        }
        return new Result(Encoding.UTF8.GetString([.. bytes]), constraint.MustEnd, maxTokens, ids);
    }

    public static int ArgMax(float[] logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>Softmax sampling at temperature 1.</summary>
    public static int Draw(float[] logits, Random rng)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) if (l > max) max = l;
        double total = 0;
        foreach (float l in logits) if (l > float.NegativeInfinity) total += MathF.Exp(l - max);
        double u = rng.NextDouble() * total, acc = 0;
        int lastFinite = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (logits[i] == float.NegativeInfinity) continue;
            lastFinite = i;
            acc += MathF.Exp(logits[i] - max);
            if (u < acc) return i;
        }
        return lastFinite;
    }
}
