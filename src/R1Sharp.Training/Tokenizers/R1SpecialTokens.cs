using R1Sharp.Tokenization;

namespace R1Sharp.Training.Tokenizers;

/// <summary>DeepSeek-R1's special tokens with the types the R1-Distill GGUF files give them
/// (sentence and turn markers are control tokens, the thinking tags user-defined).</summary>
public static class R1SpecialTokens
{
    public const string BeginOfSentence = "<｜begin▁of▁sentence｜>";
    public const string EndOfSentence = "<｜end▁of▁sentence｜>";
    public const string User = "<｜User｜>";
    public const string Assistant = "<｜Assistant｜>";
    public const string ThinkStart = "<think>";
    public const string ThinkEnd = "</think>";

    public static IReadOnlyList<SpecialToken> All { get; } =
    [
        new(BeginOfSentence, TokenType.Control),
        new(EndOfSentence, TokenType.Control),
        new(User, TokenType.Control),
        new(Assistant, TokenType.Control),
        new(ThinkStart, TokenType.UserDefined),
        new(ThinkEnd, TokenType.UserDefined),
    ];
}
