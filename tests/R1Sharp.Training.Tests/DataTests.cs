using R1Sharp.Models;
using R1Sharp.Gguf;
using R1Sharp.Tokenization;
using R1Sharp.Training.Data;
using R1Sharp.Training.Sft;
using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Training.Tests;

/// <summary>Data rows, configs and bad input: clear errors with line numbers, nothing on disk lost.</summary>
public class DataTests
{
    private static string Write(string dir, params string[] lines)
    {
        string p = Path.Combine(dir, "d.jsonl");
        File.WriteAllLines(p, lines);
        return p;
    }

    [Theory]
    [InlineData("{\"tokens\":[1,2,3]}\n{\"tokens\":[1,2,\n", "d.jsonl:2: malformed JSON")]
    [InlineData("{\"tokens\":[1,2,3]}\n\n{\"tokens\":[1,322,3]}", "d.jsonl:3: token id 322 is outside the vocabulary (size 322)")]
    [InlineData("{\"tokens\":[1,-4]}", "d.jsonl:1: token id -4 is outside the vocabulary")]
    [InlineData("{\"tokens\":[1,\"a\"]}", "d.jsonl:1: \"tokens\" must be an array of integers")]
    [InlineData("{\"tokens\":[5]}", "d.jsonl:1: a row needs at least 2 tokens")]
    [InlineData("{\"foo\":1}", "d.jsonl:1: a row needs \"tokens\"")]
    [InlineData("[1,2]", "d.jsonl:1: expected a JSON object")]
    public void BadRowsNameTheLine(string content, string message)
    {
        string dir = TestData.TempDir("bad");
        string p = Path.Combine(dir, "d.jsonl");
        File.WriteAllText(p, content);
        var e = Assert.Throws<InvalidDataException>(() => JsonlDataset.Load(p, 322, 256));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void SequenceLongerThanContextIsRejected()
    {
        string dir = TestData.TempDir("long");
        string p = Write(dir, "{\"tokens\":[1,2]}", "{\"tokens\":[" + string.Join(",", Enumerable.Repeat(7, 257)) + "]}");
        var e = Assert.Throws<InvalidDataException>(() => JsonlDataset.Load(p, 322, 256));
        Assert.Equal("d.jsonl:2: the sequence has 257 tokens, longer than the context of 256", e.Message);
    }

    [Fact]
    public void BadDataNeverTouchesAnExistingRun()
    {
        string dir = TestData.TempDir("keep");
        string good = TestData.TokenRows(dir, 6);
        string run = Path.Combine(dir, "run");
        using var pool = new ComputePool(1);
        var options = new SftOptions { InitModel = TestData.TinyQwen, DataPath = good, BatchSize = 2, Steps = 2, SaveEvery = 1 };
        using (var t = SftTrainer.Create(options, run, pool)) t.Run(null);
        byte[] before = File.ReadAllBytes(Path.Combine(run, SftTrainer.CheckpointFile));
        // Starting again into the same directory is refused (resume instead) ...
        Assert.Throws<ArgumentException>(() => SftTrainer.Create(options, run, pool));
        // ... and a new run with bad data writes nothing at all.
        string bad = Path.Combine(dir, "bad.jsonl");
        File.WriteAllText(bad, "{\"tokens\":[1,2]}\n{\"tokens\":[1,9999]}\n");
        string run2 = Path.Combine(dir, "run2");
        var e = Assert.Throws<InvalidDataException>(() => SftTrainer.Create(options with { DataPath = bad }, run2, pool));
        Assert.Contains("bad.jsonl:2:", e.Message);
        Assert.False(Directory.Exists(run2));
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(run, SftTrainer.CheckpointFile)));
    }

    [Theory]
    [InlineData("{\"tokenizer\":\"TOK\",\"embedding_length\":64,\"block_count\":1,\"head_count\":3,\"feed_forward_length\":32}", "embedding_length 64 is not a multiple of head_count 3")]
    [InlineData("{\"tokenizer\":\"TOK\",\"embedding_length\":64,\"block_count\":1,\"head_count\":4,\"head_count_kv\":3,\"feed_forward_length\":32}", "head_count 4 is not a multiple of head_count_kv 3")]
    [InlineData("{\"tokenizer\":\"TOK\",\"architecture\":\"gpt2\",\"embedding_length\":64,\"block_count\":1,\"head_count\":4,\"feed_forward_length\":32}", "architecture 'gpt2' is not supported")]
    [InlineData("{\"tokenizer\":\"TOK\",\"block_count\":1,\"head_count\":4,\"feed_forward_length\":32}", "\"embedding_length\" is required")]
    [InlineData("{\"embedding_length\":64,\"block_count\":1,\"head_count\":4,\"feed_forward_length\":32}", "\"tokenizer\"")]
    public void ImpossibleConfigsAreRejected(string json, string message)
    {
        string dir = TestData.TempDir("cfg");
        string p = Path.Combine(dir, "tiny.json");
        File.WriteAllText(p, json.Replace("TOK", TestData.TinyQwen.Replace("\\", "\\\\")));
        var e = Assert.Throws<InvalidDataException>(() => ModelConfigFile.Load(p));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ConfigBuildsASeededModelThatTrains()
    {
        string dir = TestData.TempDir("config");
        string p = Path.Combine(dir, "tiny.json");
        File.WriteAllText(p, "{\"architecture\":\"llama\",\"tokenizer\":\"" + TestData.TinyLlama.Replace("\\", "\\\\") +
                             "\",\"embedding_length\":64,\"block_count\":2,\"head_count\":4,\"head_count_kv\":2,\"feed_forward_length\":96,\"context_length\":64,\"tied_output\":true}");
        string data = TestData.TokenRows(dir, 8, maxLen: 30);
        using var pool = new ComputePool(2);
        var options = new SftOptions { ConfigPath = p, DataPath = data, BatchSize = 4, Steps = 20, LearningRate = 1e-2, Seed = 5, SaveEvery = 20 };
        var losses = new List<double>();
        using (var t = SftTrainer.Create(options, Path.Combine(dir, "run"), pool))
        {
            Assert.Equal(322, t.Model.Config.VocabSize);
            Assert.True(t.Model.Config.TiedOutput);
            t.Run(null, r => losses.Add(r.Loss));
        }
        Assert.InRange(losses[0], Math.Log(322) - 0.5, Math.Log(322) + 0.5); // a fresh small-init model is near uniform
        Assert.True(losses.TakeLast(4).Average() < losses.Take(4).Average() - 0.5, $"loss did not fall: {string.Join(", ", losses)}");
        using var f = GgufFile.Open(Path.Combine(dir, "run", SftTrainer.CheckpointFile));
        Assert.Equal("llama", f.GetString("general.architecture"));
        Assert.NotNull(f.GetStringArray("tokenizer.ggml.tokens"));
        Assert.False(f.TryGetTensor("output.weight", out _));
        // Same seed, same initialization.
        var config = ModelConfigFile.Load(p);
        using var m1 = new TrainableModel(config.Model, pool);
        using var m2 = new TrainableModel(config.Model, pool);
        config.Initialize(m1, 5); config.Initialize(m2, 5);
        Assert.True(m1.Parameters.All.SequenceEqual(m2.Parameters.All));
    }

    [Fact]
    public void ChatRowsTrainOnAssistantTurnsOnly()
    {
        using var file = GgufFile.Open(TestData.TinyQwen);
        var encoder = TextEncoders.FromGguf(file)!;
        var tok = Tokenizer.FromGguf(file);
        string dir = TestData.TempDir("chat");
        string p = Write(dir,
            "{\"messages\":[{\"role\":\"user\",\"content\":\"What is 2+2?\"},{\"role\":\"assistant\",\"content\":\"It is 4.\"},{\"role\":\"user\",\"content\":\"And 3+3?\"},{\"role\":\"assistant\",\"content\":\"6\"}]}",
            "{\"prompt\":\"Say hi\",\"completion\":\" hi there\"}");
        var rows = JsonlDataset.Load(p, 322, 256, encoder);
        string Trained(TrainingExample ex) =>
            string.Concat(Enumerable.Range(0, ex.PredictedCount).Where(i => ex.WeightAt(i) != 0).Select(i => tok.Decode([ex.Tokens[i + 1]])));
        string eos = tok.TokenText(tok.EosId!.Value);
        Assert.Equal("It is 4." + eos + "6" + eos, Trained(rows[0]));
        Assert.Equal(" hi there" + eos, Trained(rows[1]));
        Assert.Equal(tok.BosId, rows[1].Tokens[0]);
    }
}
