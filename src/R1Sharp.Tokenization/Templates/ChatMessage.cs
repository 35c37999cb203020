namespace R1Sharp.Tokenization.Templates;

/// <summary>One chat turn. <see cref="ReasoningContent"/> is the API's <c>reasoning_content</c>: accepted and handed
/// to the template as <c>message.reasoning_content</c>, which R1's templates ignore, so earlier turns' reasoning
/// never reaches the prompt (the same as the templates strip <c>&lt;think&gt;...&lt;/think&gt;</c> from content).</summary>
public sealed record ChatMessage(string Role, string Content)
{
    public string? ReasoningContent { get; init; }
}
