using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.Reasoning;
using R1Sharp.Inference.Tools;
using R1Sharp.Server.Api;

namespace R1Sharp.Server.Ollama;

/// <summary>
/// Ollama's API on the same port (docs/serving.md): /api/version, /api/tags, /api/ps, /api/show, /api/chat and
/// /api/generate, for clients built for Ollama (Open WebUI, Continue, OllamaSharp, LangChain's ChatOllama). Requests
/// go through the same mapping as /v1/chat/completions (sampling options, thinking budget, structured output, tools);
/// errors keep the server's one error shape.
/// </summary>
public static class OllamaEndpoints
{
    /// <summary>The Ollama API version whose routes and fields this server answers.</summary>
    public const string ApiVersion = "0.12.0";

    private static readonly R1Sharp.Inference.Sampling.SamplingOptions DefaultSampling = new();

    public static IEndpointRouteBuilder MapOllama(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/version", () => Results.Json(new OllamaVersion(ApiVersion), ServerJsonContext.Default.OllamaVersion));
        app.MapGet("/api/tags", (HttpContext context) =>
            Results.Json(new OllamaModelList([Entry(context, running: false)]), ServerJsonContext.Default.OllamaModelList));
        app.MapGet("/api/ps", (HttpContext context) =>
            Results.Json(new OllamaModelList([Entry(context, running: true)]), ServerJsonContext.Default.OllamaModelList));
        app.MapPost("/api/show", ShowAsync).WithMetadata(UntypedJsonBody.Instance);
        app.MapPost("/api/chat", ChatAsync).WithMetadata(UntypedJsonBody.Instance);
        app.MapPost("/api/generate", GenerateAsync).WithMetadata(UntypedJsonBody.Instance);
        return app;
    }

    private static OllamaModelEntry Entry(HttpContext context, bool running)
    {
        var engine = ApiSupport.RequireEngine(context);
        var info = OllamaModelInfo.Get(context, engine);
        return new OllamaModelEntry
        {
            Name = engine.ModelName,
            Model = engine.ModelName,
            ModifiedAt = info.ModifiedAt,
            Size = info.Size,
            Digest = info.Digest,
            Details = info.Details,
            ExpiresAt = running ? DateTimeOffset.UtcNow.AddYears(100).ToString("o", CultureInfo.InvariantCulture) : null,
            SizeVram = running ? 0 : null,
            ContextLength = running ? engine.ContextLength : null,
        };
    }

    private static async Task ShowAsync(HttpContext context)
    {
        var req = await ApiSupport.ReadJsonAsync(context, ServerJsonContext.Default.OllamaModelRequest);
        if ((req.Model ?? req.Name) is not { Length: > 0 }) throw ApiException.BadRequest("'model' is required", "model");
        var engine = ApiSupport.RequireEngine(context);
        var info = OllamaModelInfo.Get(context, engine);
        var response = new OllamaShowResponse
        {
            Modelfile = $"# served by r1sharp\nFROM {info.Path}\n",
            Parameters = string.Create(CultureInfo.InvariantCulture, $"temperature {DefaultSampling.Temperature}\ntop_p {DefaultSampling.TopP}"),
            Template = info.Template,
            Details = info.Details,
            ModelInfo = info.ModelInfo,
            Capabilities = ["completion", "thinking", "tools"],
            ModifiedAt = info.ModifiedAt,
        };
        await context.Response.WriteAsJsonAsync(response, ServerJsonContext.Default.OllamaShowResponse, contentType: "application/json");
    }

    private static async Task ChatAsync(HttpContext context)
    {
        var clock = Stopwatch.StartNew();
        var options = context.RequestServices.GetRequiredService<ServerOptions>();
        var req = await ApiSupport.ReadJsonAsync(context, ServerJsonContext.Default.OllamaChatRequest);
        var sampling = new OllamaSampling(req.Model, req.Options, req.Stream);
        var parameters = RequestMapping.Parameters(sampling, sampling.MaxTokens, Budget(req.Think, options.ThinkingBudget), false, 0);
        var tools = RequestMapping.Tools(req.Tools);
        var format = RequestMapping.OllamaFormat(req.Format);
        var engine = ApiSupport.RequireEngine(context);
        string model = req.Model is { Length: > 0 } m ? m : engine.ModelName;
        if (req.Messages is not { Count: > 0 })
        {
            // An empty chat loads the model (Ollama's preload call): it is loaded.
            await WriteOneAsync(context, new OllamaChatResponse
            {
                Model = model, CreatedAt = Now(), Message = new OllamaMessage { Role = "assistant", Content = "" }, Done = true, DoneReason = "load",
            }, req.Stream != false);
            return;
        }
        var messages = Messages(req.Messages);
        var plan = ChatPlan.Build(engine, messages, tools, tools.Count > 0 ? ToolChoice.Auto : ToolChoice.None, true, format, "format", parameters);
        var request = new GenerationRequest(plan.Prompt.Tokens, plan.Parameters, SplitReasoning: true,
            StartsInReasoning: plan.Prompt.StartsInReasoning, Timeout: options.RequestTimeout) { Endpoint = "ollama_chat" };
        using var run = ChoiceRun.Start(engine, [request], context.RequestAborted);
        var output = new ChatOutput(plan.ToolSyntax);
        var ct = context.RequestAborted;
        OllamaChatResponse Line(OllamaMessage message) => new() { Model = model, CreatedAt = Now(), Message = message };
        OllamaMessage Calls(int count) => new()
        {
            Role = "assistant", Content = "",
            ToolCalls = output.Calls.Skip(output.Calls.Count - count).Select((c, k) => ToOllama(c, output.Calls.Count - count + k)).ToList(),
        };

        if (req.Stream == false)
        {
            var timing = new Timing(clock);
            GenerationFinished? finished = null;
            await foreach (var (_, update) in run.ReadAllAsync(ct))
            {
                timing.Saw();
                if (update is GenerationText t) output.Push(t);
                else if (update is GenerationFinished f) { output.Finish(); finished = f; }
            }
            var done = finished ?? throw new InvalidOperationException("a generation ended without finishing");
            var message = new OllamaMessage
            {
                Role = "assistant",
                Content = output.Content.ToString(),
                Thinking = output.Reasoning.Length > 0 ? output.Reasoning.ToString() : null,
                ToolCalls = output.Calls.Count > 0 ? output.Calls.Select(ToOllama).ToList() : null,
            };
            await context.Response.WriteAsJsonAsync(timing.Fill(Line(message) with { Done = true }, done),
                ServerJsonContext.Default.OllamaChatResponse, contentType: "application/json");
            return;
        }

        var writer = new NdjsonWriter(context.Response);
        await writer.StartAsync(ct);
        var clockLines = new Timing(clock);
        try
        {
            await foreach (var (_, update) in run.ReadAllAsync(ct))
            {
                clockLines.Saw();
                switch (update)
                {
                    case GenerationText t when t.Text.Length > 0:
                        var (reasoning, content, newCalls) = output.Push(t);
                        if (reasoning.Length > 0)
                            await writer.WriteAsync(Line(new OllamaMessage { Role = "assistant", Content = "", Thinking = reasoning }), ServerJsonContext.Default.OllamaChatResponse, ct);
                        else if (content.Length > 0)
                            await writer.WriteAsync(Line(new OllamaMessage { Role = "assistant", Content = content }), ServerJsonContext.Default.OllamaChatResponse, ct);
                        if (newCalls > 0) await writer.WriteAsync(Line(Calls(newCalls)), ServerJsonContext.Default.OllamaChatResponse, ct);
                        break;
                    case GenerationFinished f:
                        var (tail, lastCalls) = output.Finish();
                        if (tail.Length > 0)
                            await writer.WriteAsync(Line(new OllamaMessage { Role = "assistant", Content = tail }), ServerJsonContext.Default.OllamaChatResponse, ct);
                        if (lastCalls > 0) await writer.WriteAsync(Line(Calls(lastCalls)), ServerJsonContext.Default.OllamaChatResponse, ct);
                        await writer.WriteAsync(clockLines.Fill(Line(new OllamaMessage { Role = "assistant", Content = "" }) with { Done = true }, f),
                            ServerJsonContext.Default.OllamaChatResponse, ct);
                        break;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await writer.ErrorAsync(e, ct);
        }
    }

    private static async Task GenerateAsync(HttpContext context)
    {
        var clock = Stopwatch.StartNew();
        var options = context.RequestServices.GetRequiredService<ServerOptions>();
        var req = await ApiSupport.ReadJsonAsync(context, ServerJsonContext.Default.OllamaGenerateRequest);
        var sampling = new OllamaSampling(req.Model, req.Options, req.Stream);
        bool raw = req.Raw == true;
        var parameters = RequestMapping.Parameters(sampling, sampling.MaxTokens, raw ? null : Budget(req.Think, options.ThinkingBudget), false, 0);
        var format = RequestMapping.OllamaFormat(req.Format);
        var engine = ApiSupport.RequireEngine(context);
        string model = req.Model is { Length: > 0 } m ? m : engine.ModelName;
        if (string.IsNullOrEmpty(req.Prompt) && string.IsNullOrEmpty(req.System))
        {
            await WriteOneAsync(context, new OllamaGenerateResponse { Model = model, CreatedAt = Now(), Response = "", Done = true, DoneReason = "load" },
                req.Stream != false);
            return;
        }
        GenerationRequest request;
        if (raw)
        {
            int[] tokens;
            try
            {
                tokens = engine.PrepareCompletion(req.Prompt ?? "").Tokens;
            }
            catch (ContextLengthExceededException e)
            {
                throw ApiSupport.ContextExceeded(e, "prompt");
            }
            if (tokens.Length == 0) throw ApiException.BadRequest("the prompt is empty", "prompt");
            if (format is not null) parameters = ChatPlan.WithConstraint(engine, parameters, format, "format");
            request = new GenerationRequest(tokens, parameters, SplitReasoning: false, StartsInReasoning: false, Timeout: options.RequestTimeout);
        }
        else
        {
            var messages = new List<PromptMessage>();
            if (req.System is { Length: > 0 } system) messages.Add(new PromptMessage("system", system));
            messages.Add(new PromptMessage("user", req.Prompt ?? ""));
            var plan = ChatPlan.Build(engine, messages, [], ToolChoice.None, false, format, "format", parameters, "prompt");
            request = new GenerationRequest(plan.Prompt.Tokens, plan.Parameters, SplitReasoning: true,
                StartsInReasoning: plan.Prompt.StartsInReasoning, Timeout: options.RequestTimeout);
        }
        request = request with { ReturnTokens = true, Endpoint = "ollama_generate" };
        using var run = ChoiceRun.Start(engine, [request], context.RequestAborted);
        var ct = context.RequestAborted;
        var timing = new Timing(clock);
        OllamaGenerateResponse Line(string response, string? thinking = null) =>
            new() { Model = model, CreatedAt = Now(), Response = response, Thinking = thinking };
        OllamaGenerateResponse Last(GenerationFinished f, string response, string? thinking) =>
            timing.Fill(Line(response, thinking) with { Done = true, Context = [.. request.PromptTokens, .. f.Tokens ?? []] }, f);

        if (req.Stream == false)
        {
            var output = new ChatOutput(null);
            GenerationFinished? finished = null;
            await foreach (var (_, update) in run.ReadAllAsync(ct))
            {
                timing.Saw();
                if (update is GenerationText t) output.Push(t);
                else if (update is GenerationFinished f) finished = f;
            }
            var done = finished ?? throw new InvalidOperationException("a generation ended without finishing");
            await context.Response.WriteAsJsonAsync(Last(done, output.Content.ToString(), output.Reasoning.Length > 0 ? output.Reasoning.ToString() : null),
                ServerJsonContext.Default.OllamaGenerateResponse, contentType: "application/json");
            return;
        }
        var writer = new NdjsonWriter(context.Response);
        await writer.StartAsync(ct);
        try
        {
            await foreach (var (_, update) in run.ReadAllAsync(ct))
            {
                timing.Saw();
                if (update is GenerationText { Text.Length: > 0 } t)
                    await writer.WriteAsync(t.Channel == TextChannel.Reasoning ? Line("", t.Text) : Line(t.Text), ServerJsonContext.Default.OllamaGenerateResponse, ct);
                else if (update is GenerationFinished f)
                    await writer.WriteAsync(Last(f, "", null), ServerJsonContext.Default.OllamaGenerateResponse, ct);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await writer.ErrorAsync(e, ct);
        }
    }

    /// <summary>think: absent or true = the server's default budget, false = no thought, "low"/"medium"/"high" = the
    /// reasoning_effort budgets (docs/thinking.md).</summary>
    private static int? Budget(JsonElement? think, int? serverDefault) => think switch
    {
        null or { ValueKind: JsonValueKind.Null or JsonValueKind.True } => serverDefault,
        { ValueKind: JsonValueKind.False } => 0,
        { ValueKind: JsonValueKind.String } s when s.GetString() is "low" or "medium" or "high" => ThinkingBudget.FromReasoningEffort(s.GetString()!),
        _ => throw ApiException.BadRequest("think must be true, false, \"low\", \"medium\" or \"high\"", "think"),
    };

    private static List<PromptMessage> Messages(List<OllamaMessage> messages)
    {
        var result = new List<PromptMessage>(messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i] ?? throw ApiException.BadRequest($"messages[{i}] must be an object", "messages");
            string role = m.Role switch
            {
                "system" or "user" or "assistant" or "tool" => m.Role,
                null => throw ApiException.BadRequest($"messages[{i}].role is required", "messages"),
                _ => throw ApiException.BadRequest($"messages[{i}].role must be 'system', 'user', 'assistant' or 'tool', not '{m.Role}'", "messages"),
            };
            if (m.Images is { Count: > 0 }) throw ApiException.BadRequest($"messages[{i}].images: this model reads text only", "messages");
            List<ToolCall>? calls = null;
            if (m.ToolCalls is { Count: > 0 } list)
                calls = list.Select((c, j) => new ToolCall(c.Id ?? ToolCall.NewId(),
                    c.Function?.Name is { Length: > 0 } name ? name : throw ApiException.BadRequest($"messages[{i}].tool_calls[{j}].function.name is required", "messages"),
                    c.Function.Arguments is { ValueKind: JsonValueKind.Object } a ? a.GetRawText()
                    : c.Function.Arguments is { ValueKind: JsonValueKind.String } s ? s.GetString()! : "{}")).ToList();
            result.Add(new PromptMessage(role, m.Content ?? "", m.Thinking) { ToolCalls = calls, Name = m.ToolName });
        }
        return result;
    }

    private static OllamaToolCall ToOllama(ToolCall call, int index)
    {
        using var doc = JsonDocument.Parse(call.Arguments);
        return new OllamaToolCall
        {
            Id = call.Id,
            Function = new OllamaFunctionCall { Index = index, Name = call.Name, Arguments = doc.RootElement.Clone() },
        };
    }

    private static async Task WriteOneAsync<T>(HttpContext context, T value, bool stream) where T : class
    {
        var info = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)ServerJsonContext.Default.GetTypeInfo(typeof(T))!;
        if (!stream)
        {
            await context.Response.WriteAsJsonAsync(value, info, contentType: "application/json");
            return;
        }
        var writer = new NdjsonWriter(context.Response);
        await writer.StartAsync(context.RequestAborted);
        await writer.WriteAsync(value, info, context.RequestAborted);
    }

    private static string Now() => DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture); // ...Z, as Ollama writes it

    /// <summary>Ollama's durations, in nanoseconds: prompt evaluation until the first update (queue wait and prefill),
    /// generation after it.</summary>
    private sealed class Timing(Stopwatch clock)
    {
        private long _first = -1;

        public void Saw()
        {
            if (_first < 0) _first = clock.ElapsedTicks;
        }

        public T Fill<T>(T line, GenerationFinished f) where T : OllamaDoneFields
        {
            long total = Nanoseconds(clock.ElapsedTicks);
            long first = _first < 0 ? total : Nanoseconds(_first);
            return (T)((OllamaDoneFields)line with
            {
                DoneReason = LogProbMapping.FinishReason(f.FinishReason),
                TotalDuration = total,
                LoadDuration = 0,
                PromptEvalCount = f.PromptTokens,
                PromptEvalDuration = first,
                EvalCount = f.CompletionTokens,
                EvalDuration = total - first,
            });
        }

        private static long Nanoseconds(long ticks) => (long)(ticks * (1e9 / Stopwatch.Frequency));
    }
}
