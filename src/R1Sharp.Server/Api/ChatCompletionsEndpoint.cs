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
        int? budget = RequestMapping.Budget(options.ThinkingBudget, req.ReasoningEffort, req.Thinking?.Type, req.ThinkingBudget);
        bool logProbs = req.LogProbs ?? false;
        int topLogProbs = req.TopLogProbs ?? 0;
        if (topLogProbs > 0 && !logProbs) throw ApiException.BadRequest("top_logprobs requires logprobs: true", "top_logprobs");
        var parameters = RequestMapping.Parameters(req, maxTokens, budget, logProbs, topLogProbs);
        var tools = RequestMapping.Tools(req.Tools);
        var choice = RequestMapping.ToolChoice(req.ToolChoice, tools);
        var format = RequestMapping.ResponseFormat(req.ResponseFormat);

        var engine = ApiSupport.RequireEngine(context);
        var plan = ChatPlan.Build(engine, messages, tools, choice, req.ParallelToolCalls ?? true, format, "response_format", parameters);
        var requests = Enumerable.Range(0, n)
            .Select(i => new GenerationRequest(plan.Prompt.Tokens, RequestMapping.ForChoice(plan.Parameters, i), SplitReasoning: true,
                StartsInReasoning: plan.Prompt.StartsInReasoning, Timeout: options.RequestTimeout) { Endpoint = "chat" })
            .ToList();
        string model = req.Model is { Length: > 0 } m ? m : engine.ModelName;
        // The engine counts every request's outcome (r1_requests_total), cancelled and rejected ones included.
        using var run = ChoiceRun.Start(engine, requests, context.RequestAborted);
        string id = ApiSupport.NewId("chatcmpl-");
        long created = ApiSupport.UnixNow();
        var outputs = Enumerable.Range(0, n).Select(_ => new ChatOutput(plan.ToolSyntax)).ToArray();
        if (req.Stream == true) await StreamAsync(context, run, outputs, id, created, model, req.StreamOptions?.IncludeUsage == true);
        else await CompleteAsync(context, run, outputs, id, created, model, logProbs);
    }

    private static async Task<GenerationFinished[]> CompleteAsync(HttpContext context, ChoiceRun run, ChatOutput[] outputs, string id,
        long created, string model, bool logProbs)
    {
        int n = outputs.Length;
        var answerLogProbs = new List<TokenLogProbDto>[n];
        var reasoningLogProbs = new List<TokenLogProbDto>[n];
        var finished = new GenerationFinished?[n];
        for (int i = 0; i < n; i++) { answerLogProbs[i] = []; reasoningLogProbs[i] = []; }
        await foreach (var (i, update) in run.ReadAllAsync(context.RequestAborted))
        {
            switch (update)
            {
                case GenerationText t:
                    outputs[i].Push(t);
                    if (t.LogProbs is { } lp)
                        (t.Channel == TextChannel.Reasoning ? reasoningLogProbs[i] : answerLogProbs[i]).AddRange(lp.Select(LogProbMapping.ToDto));
                    break;
                case GenerationFinished f:
                    outputs[i].Finish();
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
                    Content = outputs[i].FinalContent,
                    ReasoningContent = outputs[i].Reasoning.Length > 0 ? outputs[i].Reasoning.ToString() : null,
                    ToolCalls = outputs[i].Calls.Count > 0 ? outputs[i].Calls.Select(c => ChatOutput.ToDto(c)).ToList() : null,
                },
                LogProbs = logProbs ? new ChatLogProbsDto { Content = answerLogProbs[i], ReasoningContent = reasoningLogProbs[i] } : null,
                FinishReason = outputs[i].FinishReason(done[i]),
            }).ToList(),
            Usage = LogProbMapping.Usage(done),
        };
        await context.Response.WriteAsJsonAsync(response, ServerJsonContext.Default.ChatCompletionResponse, contentType: "application/json");
        return done;
    }

    private static async Task<GenerationFinished[]> StreamAsync(HttpContext context, ChoiceRun run, ChatOutput[] outputs, string id,
        long created, string model, bool includeUsage)
    {
        int n = outputs.Length;
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
        // A completed tool call goes out whole, as one delta (index, id, type, name and all the arguments).
        async Task WriteCallsAsync(int choice, int count)
        {
            var calls = outputs[choice].Calls;
            for (int k = calls.Count - count; k < calls.Count; k++)
                await sse.WriteAsync(Chunk(choice, new DeltaDto { ToolCalls = [ChatOutput.ToDto(calls[k], k)] }), ServerJsonContext.Default.ChatCompletionChunk, ct);
        }
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
                        var (reasoningText, contentText, newCalls) = outputs[i].Push(t);
                        var delta = isReasoning ? new DeltaDto { ReasoningContent = reasoningText } : new DeltaDto { Content = contentText };
                        ChatLogProbsDto? lp = t.LogProbs is { Count: > 0 } list
                            ? isReasoning
                                ? new ChatLogProbsDto { ReasoningContent = list.Select(LogProbMapping.ToDto).ToList() }
                                : new ChatLogProbsDto { Content = list.Select(LogProbMapping.ToDto).ToList() }
                            : null;
                        if (isReasoning || contentText.Length > 0 || lp is not null)
                            await sse.WriteAsync(Chunk(i, delta, null, lp), ServerJsonContext.Default.ChatCompletionChunk, ct);
                        await WriteCallsAsync(i, newCalls);
                        break;
                    case GenerationFinished f:
                        finished[i] = f;
                        var (tail, lastCalls) = outputs[i].Finish();
                        if (tail.Length > 0) await sse.WriteAsync(Chunk(i, new DeltaDto { Content = tail }), ServerJsonContext.Default.ChatCompletionChunk, ct);
                        await WriteCallsAsync(i, lastCalls);
                        await sse.WriteAsync(Chunk(i, new DeltaDto(), outputs[i].FinishReason(f)), ServerJsonContext.Default.ChatCompletionChunk, ct);
                        break;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await sse.ErrorAsync(e, ct);
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
