using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Server.Api;

/// <summary>POST /v1/chat/completions: OpenAI chat completions with DeepSeek's reasoning_content.</summary>
internal static class ChatCompletionsEndpoint
{
    public static IEndpointRouteBuilder MapChatCompletions(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", HandleAsync);
        app.MapPost("/chat/completions", HandleAsync); // DeepSeek's base URL has no /v1
        return app;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<ServerOptions>();
        var req = await ApiSupport.ReadJsonAsync(context, ServerJsonContext.Default.ChatCompletionRequest);
        var messages = RequestMapping.Messages(req.Messages);
        int n = RequestMapping.Choices(req);
        int? maxTokens = req.MaxCompletionTokens ?? req.MaxTokens;
        if (req.MaxCompletionTokens is < 1) throw ApiException.BadRequest("max_completion_tokens must be at least 1", "max_completion_tokens");
        int? budget = options.ThinkingBudget;
        if (req.ReasoningEffort is { } effort) budget = RequestMapping.EffortBudget(effort);
        if (req.Thinking?.Type is { } thinkingType)
        {
            if (thinkingType == "disabled") budget = 0;
            else if (thinkingType != "enabled") throw ApiException.BadRequest("thinking.type must be 'enabled' or 'disabled'", "thinking");
        }
        if (req.ThinkingBudget is { } explicitBudget) budget = explicitBudget;
        bool logProbs = req.LogProbs ?? false;
        int topLogProbs = req.TopLogProbs ?? 0;
        if (topLogProbs > 0 && !logProbs) throw ApiException.BadRequest("top_logprobs requires logprobs: true", "top_logprobs");
        var parameters = RequestMapping.Parameters(req, maxTokens, budget, logProbs, topLogProbs);

        var engine = ApiSupport.RequireEngine(context);
        PreparedPrompt prompt;
        try
        {
            prompt = engine.PrepareChat(messages);
        }
        catch (ContextLengthExceededException e)
        {
            throw ApiSupport.ContextExceeded(e, "messages");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw ApiException.BadRequest("the messages could not be rendered with the model's chat template: " + e.Message, "messages");
        }
        if (prompt.Tokens.Length >= engine.ContextLength)
            throw ApiSupport.ContextExceeded(new ContextLengthExceededException(prompt.Tokens.Length, engine.ContextLength), "messages");

        var requests = Enumerable.Range(0, n)
            .Select(i => new GenerationRequest(prompt.Tokens, RequestMapping.ForChoice(parameters, i), SplitReasoning: true,
                StartsInReasoning: prompt.StartsInReasoning, Timeout: options.RequestTimeout) { Endpoint = "chat" })
            .ToList();
        string model = req.Model is { Length: > 0 } m ? m : engine.ModelName;
        // The engine counts every request's outcome (r1_requests_total), cancelled and rejected ones included.
        using var run = ChoiceRun.Start(engine, requests, context.RequestAborted);
        string id = ApiSupport.NewId("chatcmpl-");
        long created = ApiSupport.UnixNow();
        if (req.Stream == true) await StreamAsync(context, run, id, created, model, n, req.StreamOptions?.IncludeUsage == true);
        else await CompleteAsync(context, run, id, created, model, n, logProbs);
    }

    private static async Task<GenerationFinished[]> CompleteAsync(HttpContext context, ChoiceRun run, string id, long created,
        string model, int n, bool logProbs)
    {
        var reasoning = new StringBuilder[n];
        var answer = new StringBuilder[n];
        var answerLogProbs = new List<TokenLogProbDto>[n];
        var reasoningLogProbs = new List<TokenLogProbDto>[n];
        var finished = new GenerationFinished?[n];
        for (int i = 0; i < n; i++) { reasoning[i] = new(); answer[i] = new(); answerLogProbs[i] = []; reasoningLogProbs[i] = []; }
        await foreach (var (i, update) in run.ReadAllAsync(context.RequestAborted))
        {
            switch (update)
            {
                case GenerationText t:
                    (t.Channel == TextChannel.Reasoning ? reasoning[i] : answer[i]).Append(t.Text);
                    if (t.LogProbs is { } lp)
                        (t.Channel == TextChannel.Reasoning ? reasoningLogProbs[i] : answerLogProbs[i]).AddRange(lp.Select(LogProbMapping.ToDto));
                    break;
                case GenerationFinished f:
                    finished[i] = f;
                    break;
            }
        }
        var done = finished.Select(f => f ?? throw new InvalidOperationException("a generation ended without finishing")).ToArray();
        var response = new ChatCompletionResponse
        {
            Id = id,
            Created = created,
            Model = model,
            Choices = Enumerable.Range(0, n).Select(i => new ChatChoiceDto
            {
                Index = i,
                Message = new ResponseMessageDto
                {
                    Content = answer[i].ToString(),
                    ReasoningContent = reasoning[i].Length > 0 ? reasoning[i].ToString() : null,
                },
                LogProbs = logProbs ? new ChatLogProbsDto { Content = answerLogProbs[i], ReasoningContent = reasoningLogProbs[i] } : null,
                FinishReason = LogProbMapping.FinishReason(done[i].FinishReason),
            }).ToList(),
            Usage = LogProbMapping.Usage(done),
        };
        await context.Response.WriteAsJsonAsync(response, ServerJsonContext.Default.ChatCompletionResponse, contentType: "application/json");
        return done;
    }

    private static async Task<GenerationFinished[]> StreamAsync(HttpContext context, ChoiceRun run, string id, long created,
        string model, int n, bool includeUsage)
    {
        var ct = context.RequestAborted;
        var sse = new SseWriter(context.Response);
        await sse.StartAsync(ct);
        var finished = new GenerationFinished?[n];
        ChatCompletionChunk Chunk(int index, DeltaDto delta, string? finishReason = null, ChatLogProbsDto? logProbs = null) => new()
        {
            Id = id,
            Created = created,
            Model = model,
            Choices = [new ChunkChoiceDto { Index = index, Delta = delta, FinishReason = finishReason, LogProbs = logProbs }],
        };
        for (int i = 0; i < n; i++)
            await sse.WriteAsync(Chunk(i, new DeltaDto { Role = "assistant" }), ServerJsonContext.Default.ChatCompletionChunk, ct);
        try
        {
            await foreach (var (i, update) in run.ReadAllAsync(ct))
            {
                switch (update)
                {
                    case GenerationText t when t.Text.Length > 0 || t.LogProbs is { Count: > 0 }:
                        bool isReasoning = t.Channel == TextChannel.Reasoning;
                        var delta = isReasoning ? new DeltaDto { ReasoningContent = t.Text } : new DeltaDto { Content = t.Text };
                        ChatLogProbsDto? lp = t.LogProbs is { Count: > 0 } list
                            ? isReasoning
                                ? new ChatLogProbsDto { ReasoningContent = list.Select(LogProbMapping.ToDto).ToList() }
                                : new ChatLogProbsDto { Content = list.Select(LogProbMapping.ToDto).ToList() }
                            : null;
                        await sse.WriteAsync(Chunk(i, delta, null, lp), ServerJsonContext.Default.ChatCompletionChunk, ct);
                        break;
                    case GenerationFinished f:
                        finished[i] = f;
                        await sse.WriteAsync(Chunk(i, new DeltaDto(), LogProbMapping.FinishReason(f.FinishReason)),
                            ServerJsonContext.Default.ChatCompletionChunk, ct);
                        break;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Headers are gone: report the failure in-band, as OpenAI does, and end the stream.
            await sse.WriteAsync(new ErrorResponse(new ErrorBody("generation failed: " + e.Message, "server_error", null, null)),
                ServerJsonContext.Default.ErrorResponse, ct);
            await sse.DoneAsync(ct);
            return finished.OfType<GenerationFinished>().ToArray();
        }
        var done = finished.OfType<GenerationFinished>().ToArray();
        if (includeUsage)
            await sse.WriteAsync(new ChatCompletionChunk { Id = id, Created = created, Model = model, Choices = [], Usage = LogProbMapping.Usage(done) },
                ServerJsonContext.Default.ChatCompletionChunk, ct);
        await sse.DoneAsync(ct);
        return done;
    }
}
