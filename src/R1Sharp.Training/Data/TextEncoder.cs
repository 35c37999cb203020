namespace R1Sharp.Training.Data;

/// <summary>What the data loader needs to turn text rows into tokens: a tokenizer and a chat template.</summary>
public interface ITextEncoder
{
    /// <summary>Token ids of <paramref name="text"/>, special tokens parsed; a BOS first when <paramref name="addBos"/> and the model wants one.</summary>
    int[] Encode(string text, bool addBos);
    /// <summary>End-of-sequence id appended after completions (null if the vocabulary has none).</summary>
    int? EosId { get; }
    /// <summary>The chat template rendering of <paramref name="messages"/> (role, content).</summary>
    string RenderChat(IReadOnlyList<(string Role, string Content)> messages, bool addGenerationPrompt);
}
