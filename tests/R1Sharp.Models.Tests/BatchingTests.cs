using R1Sharp.Gguf;

namespace R1Sharp.Models.Tests;

/// <summary>Batched prefill, multi-sequence steps and internal chunking give the same logits as one token at a time.</summary>
public sealed class BatchingTests : IDisposable
{
    private readonly GgufFile _file = GgufFile.Open(GoldenFixtures.ModelPath("tiny-qwen2-s1-f32.gguf"));
    private readonly ILanguageModel _model;
    private readonly int _vocab;

    public BatchingTests()
    {
        _model = ModelLoader.Load(_file);
        _vocab = _model.Config.VocabSize;
    }

    public void Dispose()
    {
        _model.Dispose();
        _file.Dispose();
    }

    private static int[] Tokens(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.Next(0, 300)).ToArray();
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]));
            maxAbs = Math.Max(maxAbs, Math.Abs(expected[i]));
        }
        Assert.True(maxDiff <= 1e-4 * Math.Max(1, maxAbs), $"{what}: max difference {maxDiff} (max |logit| {maxAbs})");
    }

    private float[] TokenByToken(int[] tokens)
    {
        var all = new float[tokens.Length * _vocab];
        using var seq = _model.CreateSequence(tokens.Length);
        for (int t = 0; t < tokens.Length; t++)
            _model.Forward([new ForwardItem(seq, tokens.AsMemory(t, 1), all.AsMemory(t * _vocab, _vocab))]);
        return all;
    }

    [Fact]
    public void PrefillInOneBatchEqualsTokenByToken()
    {
        int[] tokens = Tokens(40, 1);
        var batched = new float[tokens.Length * _vocab];
        using (var seq = _model.CreateSequence(64))
        {
            _model.Forward([new ForwardItem(seq, tokens, batched, AllLogits: true)]);
            Assert.Equal(40, seq.Length);
        }
        AssertClose(TokenByToken(tokens), batched, "prefill vs token by token");
    }

    [Fact]
    public void LastLogitsOnlyEqualsLastRowOfAllLogits()
    {
        int[] tokens = Tokens(17, 2);
        var all = new float[tokens.Length * _vocab];
        var last = new float[_vocab];
        using (var a = _model.CreateSequence(17)) _model.Forward([new ForwardItem(a, tokens, all, AllLogits: true)]);
        using (var b = _model.CreateSequence(17)) _model.Forward([new ForwardItem(b, tokens, last)]);
        AssertClose(all.AsSpan(16 * _vocab, _vocab), last, "last-token logits");
    }

    [Fact]
    public void SequencesInOneForwardEqualSeparateRuns()
    {
        int[] a = Tokens(23, 3), b = Tokens(9, 4);
        int[] a2 = [5, 6], b2 = [7];
        var expA = TokenByToken([.. a, .. a2]);
        var expB = TokenByToken([.. b, .. b2]);

        using var sa = _model.CreateSequence(32);
        using var sb = _model.CreateSequence(32);
        var la = new float[a.Length * _vocab];
        var lb = new float[_vocab];
        _model.Forward([new ForwardItem(sa, a, la, AllLogits: true), new ForwardItem(sb, b, lb)]);
        AssertClose(expA.AsSpan(0, a.Length * _vocab), la, "sequence A prefill");
        AssertClose(expB.AsSpan((b.Length - 1) * _vocab, _vocab), lb, "sequence B prefill (last)");

        // A decode step for both sequences at once (mixed lengths: 2 tokens for A, 1 for B).
        var da = new float[2 * _vocab];
        var db = new float[_vocab];
        _model.Forward([new ForwardItem(sb, b2, db), new ForwardItem(sa, a2, da, AllLogits: true)]);
        AssertClose(expA.AsSpan(a.Length * _vocab, 2 * _vocab), da, "sequence A step");
        AssertClose(expB.AsSpan(b.Length * _vocab, _vocab), db, "sequence B step");
        Assert.Equal(25, sa.Length);
        Assert.Equal(10, sb.Length);
    }

    [Fact]
    public void ChunkedPrefillEqualsOneBatch()
    {
        using var small = ModelLoader.Load(_file, new ModelLoadOptions { MaxBatchTokens = 7 });
        int[] a = Tokens(30, 5), b = Tokens(12, 6);
        var expA = TokenByToken(a);
        var expB = TokenByToken(b);
        using var sa = small.CreateSequence(30);
        using var sb = small.CreateSequence(12);
        var la = new float[a.Length * _vocab];
        var lb = new float[_vocab];
        small.Forward([new ForwardItem(sa, a, la, AllLogits: true), new ForwardItem(sb, b, lb)]);
        AssertClose(expA, la, "chunked A");
        AssertClose(expB.AsSpan((b.Length - 1) * _vocab, _vocab), lb, "chunked B");
    }

    [Fact]
    public void TruncateThenRecomputeGivesSameLogits()
    {
        int[] tokens = Tokens(20, 7);
        using var seq = _model.CreateSequence(20);
        var first = new float[_vocab];
        _model.Forward([new ForwardItem(seq, tokens, first)]);
        seq.Truncate(12);
        Assert.Equal(12, seq.Length);
        var again = new float[_vocab];
        _model.Forward([new ForwardItem(seq, tokens.AsMemory(12), again)]);
        AssertClose(first, again, "after truncate");
    }

    [Fact]
    public void CapacityAndBadInputsAreClearErrors()
    {
        using var seq = _model.CreateSequence(4);
        var logits = new float[_vocab];
        var e = Assert.Throws<InvalidOperationException>(() => _model.Forward([new ForwardItem(seq, new[] { 1, 2, 3, 4, 5 }, logits)]));
        Assert.Contains("capacity", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => _model.Forward([new ForwardItem(seq, new[] { _vocab }, logits)]));
        Assert.Throws<ArgumentException>(() => _model.Forward([new ForwardItem(seq, new[] { 1 }, new float[_vocab - 1])]));
        Assert.Equal(0, seq.Length);
    }
}
