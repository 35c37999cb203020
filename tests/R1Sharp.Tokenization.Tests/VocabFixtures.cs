using System.Collections.Concurrent;
using R1Sharp.TestSupport;

namespace R1Sharp.Tokenization.Tests;

/// <summary>Loads each tests/fixtures/vocab tokenizer once per test run.</summary>
internal static class VocabFixtures
{
    public static readonly string[] Names = ["deepseek-r1-qwen", "deepseek-v3", "llama-bpe", "deepseek-llm", "gpt-2"];

    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> s_cache = new();

    public static Tokenizer Load(string name) =>
        s_cache.GetOrAdd(name, n => new Lazy<Tokenizer>(() => Tokenizer.FromGguf(Fixtures.Path("vocab", $"ggml-vocab-{n}.gguf")))).Value;

    public static Tokenizer LoadModel(string file) =>
        s_cache.GetOrAdd("model:" + file, _ => new Lazy<Tokenizer>(() => Tokenizer.FromGguf(Fixtures.Path("golden", "models", file)))).Value;

    /// <summary>The llama.cpp test vectors: strings separated by "\n__ggml_vocab_test__\n", ids one line per string.</summary>
    public static List<(string Text, int[] Ids)> Cases(string name)
    {
        string inp = File.ReadAllText(Fixtures.Path("vocab", $"ggml-vocab-{name}.gguf.inp"));
        string[] outLines = File.ReadAllLines(Fixtures.Path("vocab", $"ggml-vocab-{name}.gguf.out"));
        const string sep = "\n__ggml_vocab_test__\n";
        var texts = new List<string>();
        int pos = 0;
        while (true)
        {
            int at = inp.IndexOf(sep, pos, StringComparison.Ordinal);
            if (at < 0) break;
            texts.Add(inp[pos..at]);
            pos = at + sep.Length;
        }
        if (texts.Count != outLines.Length) throw new InvalidDataException($"{name}: {texts.Count} strings, {outLines.Length} id lines");
        return texts.Select((t, i) => (t, outLines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray())).ToList();
    }
}
