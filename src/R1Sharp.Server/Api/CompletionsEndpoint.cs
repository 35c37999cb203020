using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Server.Api;

/// <summary>POST /v1/completions: raw text completion (no chat template, reasoning not split).</summary>
internal static class CompletionsEndpoint
{
    public static IEndpointRouteBuilder MapCompletions(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/completions", HandleAsync);
        app.MapPost("/completions", HandleAsync);
        return app;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<ServerOptions>();
        var req = await ApiSupport.ReadJsonAsync(context, ServerJsonContext.Default.CompletionRequest);
        var (text, ids) = RequestMapping.CompletionPrompt(req.Prompt);
        int n = RequestMapping.Choices(req);
        if (req.LogProbs is < 0 or > 5) throw ApiException.BadRequest("logprobs must be between 0 and 5", "logprobs");
        bool logProbs = req.LogProbs is not null;
        var parameters = RequestMapping.Parameters(req, req.MaxTokens ?? 16, null, logProbs, req.LogProbs ?? 0);
        var engine = ApiSupport.RequireEngine(context);
        int[] tokens;
        try
        {
            tokens = ids ?? engine.PrepareCompletion(text!).Tokens;
            if (tokens.Length >= engine.ContextLength) throw new ContextLengthExceededException(tokens.Length, engine.ContextLength);
        }
        catch (ContextLengthExceededException e)
        {
            throw ApiSupport.ContextExceeded(e, "prompt");
        }
        if (ids is not null && ids.Any(t => t >= engine.VocabSize))
            throw ApiException.BadRequest($"token ids must be below the vocabulary size {engine.VocabSize}", "prompt");
        if (tokens.Length == 0) throw ApiException.BadRequest("the prompt is empty", "prompt");
        string echo = req.Echo == true ? text ?? engine.Detokenize(tokens) : "";

        var requests = Enumerable.Range(0, n)
            .Select(i => new GenerationRequest(tokens, RequestMapping.ForChoice(parameters, i), SplitReasoning: false,
                StartsInReasoning: false, Timeout: options.RequestTimeout) { Endpoint = "completions" })
            .ToList();
        string model = req.Model is { Length: > 0 } m ? m : engine.ModelName;
        // The engine counts every request's outcome (r1_requests_total), cancelled and rejected ones included.
        using (var run = ChoiceRun.Start(engine, requests, context.RequestAborted))
        {
            string id = ApiSupport.NewId("cmpl-");
            long created = ApiSupport.UnixNow();
            var ct = context.RequestAborted;
            var finished = new GenerationFinished?[n];
            if (req.Stream == true)
            {
                var sse = new SseWriter(context.Response);
                await sse.StartAsync(ct);
                if (echo.Length > 0)
                    for (int i = 0; i < n; i++)
                        await sse.WriteAsync(Chunk(id, created, model, i, echo, null, null), ServerJsonContext.Default.CompletionResponse, ct);
                try
                {
                    await foreach (var (i, update) in run.ReadAllAsync(ct))
                    {
                        if (update is GenerationText t && (t.Text.Length > 0 || t.LogProbs is { Count: > 0 }))
                            await sse.WriteAsync(Chunk(id, created, model, i, t.Text, LogProbs(t.LogProbs, 0), null), ServerJsonContext.Default.CompletionResponse, ct);
                        else if (update is GenerationFinished f)
                        {
                            finished[i] = f;
                            await sse.WriteAsync(Chunk(id, created, model, i, "", null, LogProbMapping.FinishReason(f.FinishReason)),
                                ServerJsonContext.Default.CompletionResponse, ct);
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    await sse.ErrorAsync(e, ct);
                    return;
                }
                if (req.StreamOptions?.IncludeUsage == true)
                    await sse.WriteAsync(new CompletionResponse { Id = id, Created = created, Model = model, Choices = [],
                        Usage = LogProbMapping.Usage(finished.OfType<GenerationFinished>()) }, ServerJsonContext.Default.CompletionResponse, ct);
                await sse.DoneAsync(ct);
            }
            else
            {
                var texts = Enumerable.Range(0, n).Select(_ => new StringBuilder(echo)).ToArray();
                var lps = Enumerable.Range(0, n).Select(_ => new List<TokenLogProb>()).ToArray();
                await foreach (var (i, update) in run.ReadAllAsync(ct))
                {
                    if (update is GenerationText t)
                    {
                        texts[i].Append(t.Text);
                        if (t.LogProbs is { } l) lps[i].AddRange(l);
                    }
                    else if (update is GenerationFinished f) finished[i] = f;
                }
                var done = finished.Select(f => f ?? throw new InvalidOperationException("a generation ended without finishing")).ToArray();
                var response = new CompletionResponse
                {
                    Id = id,
                    Created = created,
                    Model = model,
                    Choices = Enumerable.Range(0, n).Select(i => new CompletionChoiceDto
                    {
                        Index = i,
                        Text = texts[i].ToString(),
                        LogProbs = logProbs ? LogProbs(lps[i], echo.Length) : null,
                        FinishReason = LogProbMapping.FinishReason(done[i].FinishReason),
                    }).ToList(),
                    Usage = LogProbMapping.Usage(done),
                };
                await context.Response.WriteAsJsonAsync(response, ServerJsonContext.Default.CompletionResponse, contentType: "application/json");
            }
        }
    }

    private static CompletionResponse Chunk(string id, long created, string model, int index, string text,
        CompletionLogProbsDto? logProbs, string? finishReason) => new()
    {
        Id = id,
        Created = created,
        Model = model,
        Choices = [new CompletionChoiceDto { Index = index, Text = text, LogProbs = logProbs, FinishReason = finishReason }],
    };

    private static CompletionLogProbsDto? LogProbs(IReadOnlyList<TokenLogProb>? tokens, int offset)
    {
        if (tokens is null) return null;
        var result = new CompletionLogProbsDto { Tokens = [], TokenLogProbs = [], TopLogProbs = [], TextOffset = [] };
        foreach (var t in tokens)
        {
            result.Tokens.Add(t.Text);
            result.TokenLogProbs.Add(t.LogProb);
            var top = new Dictionary<string, float>();
            foreach (var a in t.Top) top.TryAdd(a.Text, a.LogProb);
            result.TopLogProbs.Add(top);
            result.TextOffset.Add(offset);
            offset += t.Text.Length;
        }
        return result;
    }
}
