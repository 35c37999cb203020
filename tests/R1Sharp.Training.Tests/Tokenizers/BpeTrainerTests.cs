using R1Sharp.Gguf;
using R1Sharp.Tokenization;
using R1Sharp.Training.Tokenizers;

namespace R1Sharp.Training.Tests.Tokenizers;

public class BpeTrainerTests
{
    private static string Corpus()
    {
        var sb = new System.Text.StringBuilder();
        var rng = new Random(1);
        string[] words = ["the", "answer", "is", "step", "multiply", "add", "first", "then", "check", "wait", "number", "equals", "we", "have"];
        for (int line = 0; line < 400; line++)
        {
            int a = rng.Next(1000), b = rng.Next(1000);
            sb.Append($"<｜User｜>What is {a} + {b}?<｜Assistant｜><think>\n");
            for (int k = 0; k < 8; k++) sb.Append(words[rng.Next(words.Length)]).Append(' ');
            sb.Append($"{a} + {b} = {a + b}.\n</think>\n\nThe answer is {a + b}.<｜end▁of▁sentence｜>\n");
        }
        sb.Append("Ünïcödé 中文 한국어 🦙\n");
        return sb.ToString();
    }

    private static TrainedBpe Train(int vocab, string? corpus = null)
    {
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = vocab });
        trainer.AddText(corpus ?? Corpus());
        return trainer.Train();
    }

    [Fact]
    public void VocabularySizeIsExactAndLayoutIsBytesMergesSpecials()
    {
        var bpe = Train(340);
        Assert.Equal(340, bpe.Tokens.Length);
        Assert.Equal(0, bpe.UnusedCount);
        Assert.Equal(340 - 256 - 6, bpe.Merges.Length);
        for (int b = 0; b < 256; b++) Assert.Equal(ByteLevel.ByteToChar((byte)b).ToString(), bpe.Tokens[b]);
        Assert.Equal(R1SpecialTokens.BeginOfSentence, bpe.Tokens[334]);
        Assert.Equal(334, bpe.BosId);
        Assert.Equal(335, bpe.EosId);
        Assert.Equal(TokenType.Control, bpe.TokenTypes[336]);
        Assert.Equal(TokenType.UserDefined, bpe.TokenTypes[338]);
        Assert.Equal(bpe.Tokens.Length, bpe.Tokens.Distinct().Count());
    }

    [Fact]
    public void TinyCorpusIsFilledUpWithUnusedTokens()
    {
        var bpe = Train(300, "ab ab ab");
        Assert.Equal(300, bpe.Tokens.Length);
        Assert.True(bpe.UnusedCount > 0);
        var tok = bpe.ToTokenizer();
        Assert.Equal("ab ab", tok.Decode(tok.Encode("ab ab")));
    }

    [Fact]
    public void TrainingIsDeterministic()
    {
        Assert.Equal(Train(350).Merges, Train(350).Merges);
    }

    [Fact]
    public void MergesAreAppliedInLearnedOrder()
    {
        var bpe = Train(400);
        var tok = bpe.ToTokenizer();
        // each merge's result is the token right after the previous ones, and encoding the merged text alone gives it
        for (int i = 0; i < bpe.Merges.Length; i++)
        {
            string[] parts = bpe.Merges[i].Split(' ');
            Assert.Equal(parts[0] + parts[1], bpe.Tokens[256 + i]);
            Assert.True(tok.FindToken(parts[0])!.Value < 256 + i && tok.FindToken(parts[1])!.Value < 256 + i);
        }
        // the first merge is the most frequent pair; a word made of learned pieces encodes to one token
        int answer = tok.FindToken("Ġanswer") ?? -1;
        Assert.True(answer >= 256, "' answer' is frequent enough to be one token");
        Assert.Equal([answer], tok.Encode(" answer"));
        // applying merges by rank reproduces the greedy training segmentation on a held-out word
        int the = tok.FindToken("Ġthe") ?? -1;
        Assert.True(the >= 256);
        Assert.Equal(new[] { the }, tok.Encode(" the"));
    }

    [Fact]
    public void RoundTripsAndKeepsSpecialTokensWhole()
    {
        var tok = Train(500).ToTokenizer();
        string text = "<｜begin▁of▁sentence｜><｜User｜>What is 12 * 25?<｜Assistant｜><think>\nfirst 12 * 25 = 300\n</think>\n\nThe answer is 300.<｜end▁of▁sentence｜>";
        int[] ids = tok.Encode(text, parseSpecial: true);
        Assert.Equal(text, tok.Decode(ids));
        Assert.Equal(tok.BosId, ids[0]);
        Assert.Equal(tok.EosId, ids[^1]);
        foreach (var s in R1SpecialTokens.All)
            Assert.Equal([tok.FindToken(s.Text)!.Value], tok.Encode(s.Text, parseSpecial: true));
        foreach (string t in new[] { "Ünïcödé 中文 한국어 🦙 unseen words ÿ\u0000\t", "   spaces\n\n\nand 1234567890" })
            Assert.Equal(t, tok.Decode(tok.Encode(t)));
    }

    [Fact]
    public void WrittenGgufLoadsAsTheSameTokenizer()
    {
        var bpe = Train(420);
        string path = Path.GetTempFileName();
        try
        {
            bpe.WriteGguf(path);
            using var file = GgufFile.Open(path);
            Assert.Equal("deepseek-r1-qwen", file.GetString("tokenizer.ggml.pre"));
            Assert.Equal(R1ChatTemplate.Source, file.GetString("tokenizer.chat_template"));
            var loaded = Tokenizer.FromGguf(file);
            var direct = bpe.ToTokenizer();
            Assert.Equal(420, loaded.VocabSize);
            Assert.Equal(direct.BosId, loaded.BosId);
            Assert.Equal(direct.EosId, loaded.EosId);
            Assert.True(loaded.AddBos);
            Assert.Contains(loaded.EosId!.Value, loaded.EndOfGenerationIds);
            string text = Corpus()[..2000];
            Assert.Equal(direct.Encode(text, parseSpecial: true), loaded.Encode(text, parseSpecial: true));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TooSmallVocabularyIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new BpeTrainer(new BpeTrainerOptions { VocabSize = 200 }));
    }
}
