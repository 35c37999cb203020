using R1Sharp.Inference.Batching;
using R1Sharp.Inference.Constraints;
using R1Sharp.Inference.Tools;

namespace R1Sharp.Server.Api;

/// <summary>A chat request made ready for the engine, the same for /v1/chat/completions and Ollama's /api/chat and
/// /api/generate: the rendered prompt (with the tool list), the parameters with the answer's constraint (structured
/// output or a forced tool call), and the tool-call syntax to parse the answer with (null: tools are off).</summary>
internal sealed record ChatPlan(PreparedPrompt Prompt, GenerationParameters Parameters, ToolCallSyntax? ToolSyntax)
{
    /// <param name="format">The answer's grammar from response_format / format (null: free text).</param>
    /// <param name="formatParam">The request field it came from, named in a 400.</param>
    public static ChatPlan Build(IGenerationEngine engine, List<PromptMessage> messages, List<ToolDefinition> tools, ToolChoice choice,
        bool parallelCalls, GrammarExpr? format, string formatParam, GenerationParameters parameters, string messagesParam = "messages")
    {
        var syntax = engine.ToolCalls;
        (GrammarExpr Grammar, JsonGrammarOptions? Options)? answer;
        try
        {
            answer = AnswerGrammar.For(syntax, engine.SpecialToken, tools, choice, parallelCalls, format);
        }
        catch (UnsupportedSchemaException e)
        {
            throw ApiException.BadRequest("a tool's parameters: " + e.Message, "tools", "unsupported_schema");
        }
        // The constraint first: a schema error is cheaper to find than a long prompt to render.
        if (answer is { } a)
            parameters = WithConstraint(engine, parameters, a.Grammar, choice.Mode == ToolChoiceMode.Required ? "tools" : formatParam, a.Options);
        PreparedPrompt prompt;
        try
        {
            prompt = engine.PrepareChat(messages, choice.Mode == ToolChoiceMode.None ? null : tools);
        }
        catch (ContextLengthExceededException e)
        {
            throw ApiSupport.ContextExceeded(e, messagesParam);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw ApiException.BadRequest("the messages could not be rendered with the model's chat template: " + e.Message, messagesParam);
        }
        if (prompt.Tokens.Length >= engine.ContextLength)
            throw ApiSupport.ContextExceeded(new ContextLengthExceededException(prompt.Tokens.Length, engine.ContextLength), messagesParam);

        return new ChatPlan(prompt, parameters, choice.Mode == ToolChoiceMode.None ? null : syntax);
    }

    /// <summary>The parameters with the constraint of <paramref name="answer"/>; a schema the grammar cannot express
    /// is a 400 naming the keyword, under the field <paramref name="param"/>.</summary>
    public static GenerationParameters WithConstraint(IGenerationEngine engine, GenerationParameters parameters, GrammarExpr answer, string param,
        JsonGrammarOptions? options = null)
    {
        try
        {
            return parameters with { Constraint = engine.CreateConstraint(answer, options) };
        }
        catch (UnsupportedSchemaException e)
        {
            throw ApiException.BadRequest(e.Message, param, "unsupported_schema");
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message, param);
        }
    }
}
