using System.Diagnostics;
using System.Threading.Channels;
using R1Sharp.Inference.Constraints;
using R1Sharp.Inference.Reasoning;
using R1Sharp.Inference.Sampling;
using R1Sharp.Inference.Tools;
using R1Sharp.Models;
using R1Sharp.Tokenization;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Inference.Batching;

/// <summary>
/// Continuous batching, the one generation path of R1Sharp (serve, run, chat, eval, IChatClient, training rollouts).
/// One scheduler thread owns <see cref="BatchingOptions.Slots"/> slots, each a KV cache (<see cref="ISequenceState"/>)
/// with its <see cref="Sampler"/>. Every step runs ONE <see cref="ILanguageModel.Forward"/> over all active slots: a
/// decoding slot feeds its last token, a prefilling slot a chunk of its prompt. Requests wait in a bounded queue and
/// join between steps; a finished slot keeps its cache, so a new prompt sharing a prefix with it (the next turn of a
/// chat) only prefills the rest. Per request: a <see cref="ReasoningSplitter"/>, a <see cref="ThinkingBudget"/> and the
/// think-tag bans of <see cref="ThinkTags"/> (docs/thinking.md), a streaming decoder and a
/// <see cref="StopStringMatcher"/>, and optionally an <see cref="ITokenConstraint"/> on the answer.
/// Works on any <see cref="ILanguageModel"/> with its tokenizer and chat template (no file needed: a trainer's live
/// weights do); <c>owned</c> (e.g. the model and its file) is disposed with the engine.
/// </summary>
public sealed class BatchingEngine : IGenerationEngine
{
    private readonly ILanguageModel _model;
    private readonly Tokenizer _tokenizer;
    private readonly ChatTemplate? _template;
    private readonly BatchingOptions _options;
    private readonly IDisposable? _owned;
    private readonly Slot[] _slots;
    private readonly LinkedList<Job> _queue = new();
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private readonly ThinkTags _tags;
    private readonly int[] _endIds;
    private readonly string? _bosText;
    private volatile bool _stopping;
    private int _weightsEpoch;

    /// <summary>Starts an engine over a loaded network (see the class summary); <paramref name="owned"/> is disposed with it.</summary>
    public BatchingEngine(ILanguageModel model, Tokenizer tokenizer, ChatTemplate? template, string modelName,
        BatchingOptions? options = null, IDisposable? owned = null)
    {
        _model = model;
        _tokenizer = tokenizer;
        _template = template;
        _options = options ?? new BatchingOptions();
        _owned = owned;
        ModelName = modelName;
        if (_options.Slots < 1) throw new ArgumentException("at least one slot is needed", nameof(options));
        ContextLength = Math.Min(_options.ContextSize ?? Math.Min(model.Config.ContextLength, 4096), model.Config.ContextLength);
        if (ContextLength < 2) throw new ArgumentException("the context must hold at least 2 tokens", nameof(options));
        VocabSize = model.Config.VocabSize;
        _slots = Enumerable.Range(0, _options.Slots).Select(_ => new Slot(VocabSize)).ToArray();
        _tags = ThinkTags.For(tokenizer);
        _endIds = tokenizer.EndOfGenerationIds.Where(id => id < VocabSize).Order().ToArray();
        _bosText = tokenizer.BosId is int bos ? tokenizer.TokenText(bos) : null;
        Metrics.SetOccupancy(0, 0, _slots.Length);
        _thread = new Thread(Run) { IsBackground = true, Name = "r1-batching-scheduler" };
        _thread.Start();
    }

    /// <summary>Loads a GGUF model (<see cref="LoadedModel.Load"/>: the network, its tokenizer, its chat template or the
    /// R1 fallback) and starts an engine that owns it. The one loader of `r1 run/chat/serve/eval`.</summary>
    public static BatchingEngine Load(string path, BatchingOptions? options = null, ModelLoadOptions? loadOptions = null)
    {
        var loaded = LoadedModel.Load(path, loadOptions);
        try
        {
            return new BatchingEngine(loaded.Model, loaded.Tokenizer, loaded.Template, loaded.Name, options, loaded);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public string ModelName { get; }
    /// <inheritdoc/>
    public int ContextLength { get; }
    /// <inheritdoc/>
    public int Slots => _slots.Length;
    /// <inheritdoc/>
    public int VocabSize { get; }
    /// <inheritdoc/>
    public EngineMetrics Metrics { get; } = new();
    /// <summary>The model's tokenizer.</summary>
    public Tokenizer Tokenizer => _tokenizer;

    /// <inheritdoc/>
    public PreparedPrompt PrepareChat(IReadOnlyList<PromptMessage> messages) => PrepareChat(messages, null);

    /// <inheritdoc/>
    public PreparedPrompt PrepareChat(IReadOnlyList<PromptMessage> messages, IReadOnlyList<ToolDefinition>? tools)
    {
        if (_template is null) throw new InvalidOperationException("the model has no chat template");
        string text = ChatPrompt.Render(_template, messages, tools);
        return new PreparedPrompt(Encode(text), text.TrimEnd().EndsWith(ReasoningSplitter.OpenTag, StringComparison.Ordinal));
    }

    /// <inheritdoc/>
    public ToolCallSyntax ToolCalls => ToolCallSyntax.ForTemplate(_template?.Source);

    /// <inheritdoc/>
    public int? SpecialToken(string text) =>
        _tokenizer.FindToken(text) is int id && id < VocabSize && _tokenizer.GetTokenType(id) is not (TokenType.Normal or TokenType.Byte) ? id : null;

    /// <inheritdoc/>
    public Func<ITokenConstraint> CreateConstraint(GrammarExpr answer, JsonGrammarOptions? options = null) =>
        GrammarConstraint.Factory(Grammar.Compile(answer, options), _tokenizer);

    /// <inheritdoc/>
    public PreparedPrompt PrepareCompletion(string prompt) => new(Encode(prompt), false);

    // The templates write BOS themselves; add it only when the model wants one and the text does not start with it.
    private int[] Encode(string text)
    {
        bool addBos = _tokenizer.AddBos && _bosText is not null && !text.StartsWith(_bosText, StringComparison.Ordinal);
        return Bounded(text, addBos, parseSpecial: true);
    }

    /// <inheritdoc/>
    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial) => Bounded(text, addSpecial && _tokenizer.AddBos, parseSpecial);

    // At most ContextLength - 1 prompt tokens fit (one must be left to generate): tokenizing stops past that, and a
    // text whose length alone proves it too long is refused without being tokenized (a multi-megabyte request).
    private int[] Bounded(string text, bool addBos, bool parseSpecial) =>
        _tokenizer.EncodeAtMost(text, ContextLength - 1, addBos, parseSpecial) ?? throw new ContextLengthExceededException(ContextLength);

    /// <inheritdoc/>
    public string Detokenize(ReadOnlySpan<int> tokens) => _tokenizer.Decode(tokens);

    /// <inheritdoc/>
    public byte[] TokenBytes(int token) => _tokenizer.TokenBytes(token).ToArray();

    /// <summary>Call after the model's weights changed in place (a trainer's optimizer step, the model built over its
    /// live parameters): requests admitted from now on reuse no KV cached with the old weights.</summary>
    public void WeightsChanged() => Interlocked.Increment(ref _weightsEpoch);

    /// <inheritdoc/>
    public ChannelReader<GenerationUpdate> Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (request.PromptTokens.Length == 0) throw new ArgumentException("the prompt is empty", nameof(request));
        if (request.PromptTokens.Length >= ContextLength) throw new ContextLengthExceededException(request.PromptTokens.Length, ContextLength);
        foreach (int t in request.PromptTokens)
            if ((uint)t >= (uint)VocabSize) throw new ArgumentException($"token id {t} is outside the vocabulary", nameof(request));
        request.Parameters.Validate();
        var job = new Job(request, cancellationToken, request.Timeout ?? _options.DefaultTimeout);
        lock (_gate)
        {
            if (_queue.Count >= _options.QueueSize)
            {
                Metrics.RequestRejected(request.Endpoint, "queue_full");
                throw new EngineOverloadedException(TimeSpan.FromSeconds(Math.Clamp(_queue.Count / Math.Max(1, _slots.Length), 1, 30)));
            }
            _queue.AddLast(job);
        }
        PublishOccupancy();
        if (cancellationToken.CanBeCanceled) job.Registration = cancellationToken.Register(() => _wake.Release());
        _wake.Release();
        return job.Output.Reader;
    }

    private void Run()
    {
        var items = new List<ForwardItem>(_slots.Length);
        var stepSlots = new List<(Slot Slot, int Fed, bool Prefill)>(_slots.Length);
        while (!_stopping)
        {
            Admit();
            ExpireAndCancel();
            PublishOccupancy();
            items.Clear();
            stepSlots.Clear();
            int prefillBudget = Math.Max(1, _options.PrefillBudget);
            foreach (var slot in _slots)
            {
                if (slot.Job is not { } job) continue;
                if (job.PrefillPos < job.Prompt.Length)
                {
                    if (prefillBudget <= 0) continue;
                    int n = Math.Min(Math.Min(job.Prompt.Length - job.PrefillPos, _options.PrefillChunk), prefillBudget);
                    prefillBudget -= n;
                    items.Add(new ForwardItem(slot.Sequence!, job.Prompt.AsMemory(job.PrefillPos, n), slot.Logits));
                    stepSlots.Add((slot, n, true));
                }
                else
                {
                    slot.NextInput[0] = job.NextToken;
                    items.Add(new ForwardItem(slot.Sequence!, slot.NextInput, slot.Logits));
                    stepSlots.Add((slot, 1, false));
                }
            }
            if (items.Count == 0)
            {
                _wake.Wait(TimeSpan.FromMilliseconds(250));
                continue;
            }
            try
            {
                _model.Forward(items);
            }
            catch (Exception e)
            {
                foreach (var (slot, _, _) in stepSlots) Fail(slot, e);
                continue;
            }
            Metrics.StepCompleted();
            int decoded = 0, reasoning = 0;
            foreach (var (slot, fed, prefill) in stepSlots)
            {
                var job = slot.Job!;
                if (prefill)
                {
                    slot.Cached.AddRange(job.Prompt.AsSpan(job.PrefillPos, fed));
                    job.PrefillPos += fed;
                    if (job.PrefillPos < job.Prompt.Length) continue;
                }
                else slot.Cached.Add(job.NextToken);
                int reasoningBefore = job.ReasoningTokens;
                try
                {
                    Advance(slot, job);
                }
                catch (Exception e)
                {
                    // A constraint that rejects everything, a tokenizer error: this request fails, the others go on.
                    Fail(slot, e);
                    continue;
                }
                decoded++;
                reasoning += job.ReasoningTokens - reasoningBefore;
            }
            Metrics.TokensGenerated(decoded, reasoning);
            PublishOccupancy();
        }
    }

    private void PublishOccupancy()
    {
        lock (_gate)
        {
            int busy = 0;
            foreach (var s in _slots) if (s.Job is not null) busy++;
            Metrics.SetOccupancy(_queue.Count, busy, _slots.Length);
        }
    }

    /// <summary>Moves queued requests into free slots, choosing the slot whose cache shares the longest prefix.</summary>
    private void Admit()
    {
        while (true)
        {
            Job job;
            Slot? best = null;
            int bestCommon = -1;
            lock (_gate)
            {
                if (_queue.First is null) return;
                job = _queue.First.Value;
                if (!job.IsCancelled && !job.IsExpired)
                {
                    Slot? lru = null;
                    foreach (var slot in _slots)
                    {
                        if (slot.Job is not null) continue;
                        int common = Reusable(slot, job.Prompt);
                        if (common > bestCommon) (best, bestCommon) = (slot, common);
                        if (lru is null || slot.LastUsed < lru.LastUsed) lru = slot;
                    }
                    if (best is null) return;
                    // A short shared prefix (the chat template's opening) is not worth another conversation's cache:
                    // take the least recently used slot then.
                    if (bestCommon < job.Prompt.Length / 2 && lru != best) (best, bestCommon) = (lru!, Reusable(lru!, job.Prompt));
                }
                _queue.RemoveFirst();
                if (best is not null) best.Job = job; // counted busy from now on
            }
            if (best is null)
            {
                Complete(job, job.IsCancelled ? "cancelled" : "timeout");
                continue;
            }
            Start(best, job, bestCommon);
        }
    }

    private void Start(Slot slot, Job job, int common)
    {
        try
        {
            var p = job.Request.Parameters;
            // The cache needs room for the prompt and max_tokens (the whole context when there is no max): sized to
            // the need so that many short requests (eval, rollouts) do not each hold a full context.
            int need = p.MaxTokens is int max ? (int)Math.Min(ContextLength, (long)job.Prompt.Length + max) : ContextLength;
            if (slot.Sequence is { } old && old.Capacity < need)
            {
                old.Dispose();
                slot.Sequence = null;
                slot.Cached.Clear();
                common = 0;
            }
            slot.Sequence ??= _model.CreateSequence(Math.Min(ContextLength, (need + 255) / 256 * 256));
            int epoch = Volatile.Read(ref _weightsEpoch);
            if (slot.WeightsEpoch != epoch) (common, slot.WeightsEpoch) = (0, epoch);
            // Keep at least one prompt token to feed, so the step yields the logits of the prompt's last token.
            int keep = Math.Min(common, job.Prompt.Length - 1);
            slot.Sequence.Truncate(keep);
            slot.Cached.RemoveRange(keep, slot.Cached.Count - keep);
            job.PrefillPos = keep;
            job.CachedPromptTokens = keep;
            slot.Sampler.Reset(p.ToSamplingOptions());
            slot.Sampler.AcceptPrompt(job.Prompt);
            job.Constraint = p.Constraint?.Invoke() is { } c ? new AnswerConstraint(c, _tokenizer.EndOfGenerationIds) : null;
            if (job.Request.SplitReasoning)
            {
                var phase = job.Request.StartsInReasoning ? ReasoningPhase.Thought
                    : job.Constraint is not null ? ReasoningPhase.Answer // a constrained answer from the first token
                    : ReasoningPhase.Undecided;
                job.Splitter = new ReasoningSplitter(phase);
                job.Budget = new ThinkingBudget(p.ThinkingBudget);
            }
            job.Decoder = new StreamingDecoder(_tokenizer);
            job.Stop = new StopStringMatcher(p.Stop);
            if (job.Request.ReturnTokens) job.Tokens = [];
            slot.LastUsed = Stopwatch.GetTimestamp();
            Metrics.ObserveQueueWait(job.Clock.Elapsed.TotalSeconds);
            Metrics.PromptProcessed(job.Prompt.Length, keep);
        }
        catch (Exception e)
        {
            Fail(slot, e);
        }
    }

    /// <summary>Prompt tokens whose KV the slot holds, computed with the model's current weights.</summary>
    private int Reusable(Slot slot, int[] prompt) => slot.WeightsEpoch == Volatile.Read(ref _weightsEpoch) ? CommonPrefix(slot.Cached, prompt) : 0;

    private static int CommonPrefix(List<int> cached, int[] prompt)
    {
        int n = Math.Min(cached.Count, prompt.Length), i = 0;
        while (i < n && cached[i] == prompt[i]) i++;
        return i;
    }

    /// <summary>Ends cancelled and timed-out requests, running or queued.</summary>
    private void ExpireAndCancel()
    {
        foreach (var slot in _slots)
            if (slot.Job is { } job && (job.IsCancelled || job.IsExpired))
                Finish(slot, job.IsCancelled ? "cancelled" : "timeout");
        List<Job>? dropped = null;
        lock (_gate)
        {
            for (var node = _queue.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.IsCancelled || node.Value.IsExpired)
                {
                    (dropped ??= []).Add(node.Value);
                    _queue.Remove(node);
                }
                node = next;
            }
        }
        if (dropped is not null)
            foreach (var job in dropped) Complete(job, job.IsCancelled ? "cancelled" : "timeout");
    }

    /// <summary>The logits of the slot's last fed token are ready: pick the next token and stream its text.</summary>
    private void Advance(Slot slot, Job job)
    {
        var logits = slot.Logits.AsSpan(0, VocabSize);
        var splitter = job.Splitter;
        var phase = splitter?.Phase ?? ReasoningPhase.Answer;
        // Thinking budget: the thought is open and the budget spent -> the engine writes "\n</think>\n\n" itself.
        if (job.Forced.Count == 0 && !job.CloseForced && job.Budget is { } budget && budget.MustClose(phase))
        {
            job.CloseForced = true;
            foreach (int t in _tags.CloseTokens) job.Forced.Enqueue(t);
        }
        bool forced = job.Forced.Count > 0;
        bool constrained = !forced && job.Constraint is not null && phase == ReasoningPhase.Answer;
        int token = forced
            ? job.Forced.Dequeue()
            : slot.Sampler.Sample(logits, Banned(job, phase, constrained), constrained ? job.Constraint : null);
        slot.Sampler.Accept(token);
        var parameters = job.Request.Parameters;
        TokenLogProb? logProb = parameters.LogProbs ? LogProbOf(slot.Sampler, logits, token, parameters.TopLogProbs) : null;
        job.CompletionTokens++;
        job.Tokens?.Add(token);
        if (job.CompletionTokens == 1) Metrics.ObserveFirstToken(job.Clock.Elapsed.TotalSeconds);
        if (!forced && phase == ReasoningPhase.Thought) job.Budget!.CountReasoningToken();

        if (Array.BinarySearch(_endIds, token) >= 0)
        {
            if (logProb is not null) Emit(job, FallbackChannel(job, phase), "", logProb);
            Finish(slot, "stop");
            return;
        }
        if (constrained) job.Constraint!.Accept(token);
        Route(job, job.Decoder!.Push(token), logProb, phase);
        job.NextToken = token;

        if (job.Stop!.Stopped) Finish(slot, "stop");
        else if (constrained && job.Constraint!.MustEnd) Finish(slot, "stop");
        else if (parameters.MaxTokens is int max && job.CompletionTokens >= max) Finish(slot, "length");
        else if (slot.Sequence!.Length + 1 >= Math.Min(ContextLength, slot.Sequence.Capacity)) Finish(slot, "length");
    }

    /// <summary>The ids the sampler must not draw now: think tags by phase; end-of-generation tokens with ignore_eos
    /// or while a constraint cannot end.</summary>
    private ReadOnlySpan<int> Banned(Job job, ReasoningPhase phase, bool constrained)
    {
        var tags = job.Splitter is null ? default : _tags.Banned(phase, job.Budget!.AllowsThought);
        bool banEnd = job.Request.Parameters.IgnoreEos || (constrained && !job.Constraint!.CanEnd);
        if (!banEnd) return tags;
        var all = job.BanScratch ??= new int[2 + _endIds.Length];
        tags.CopyTo(all);
        _endIds.CopyTo(all.AsSpan(tags.Length));
        return all.AsSpan(0, tags.Length + _endIds.Length);
    }

    /// <summary>Where a token's log-probability goes when its text is held back: never back to the reasoning channel
    /// once the answer has started.</summary>
    private static TextChannel FallbackChannel(Job job, ReasoningPhase phase) =>
        job.AnswerStarted || phase == ReasoningPhase.Answer ? TextChannel.Answer : TextChannel.Reasoning;

    /// <summary>Sends a token's text through the splitter (reasoning) and the stop-string matcher (answer); its
    /// log-probability rides with the last piece it produced.</summary>
    private static void Route(Job job, string text, TokenLogProb? logProb, ReasoningPhase phase)
    {
        var parts = job.Parts;
        parts.Clear();
        if (job.Splitter is { } splitter) splitter.Push(text, parts);
        else if (text.Length > 0) parts.Add((TextChannel.Answer, text));
        EmitParts(job, parts, logProb, phase);
    }

    private static void EmitParts(Job job, List<(TextChannel Channel, string Text)> parts, TokenLogProb? logProb, ReasoningPhase phase)
    {
        int last = -1;
        for (int i = 0; i < parts.Count; i++)
        {
            var (channel, piece) = parts[i];
            // Answer text passes the stop-string matcher; nothing after a stop string goes out.
            if (channel == TextChannel.Answer) piece = job.Stop!.Stopped ? "" : job.Stop.Push(piece);
            parts[i] = (channel, piece);
            if (piece.Length > 0) last = i;
        }
        for (int i = 0; i <= last; i++)
        {
            var (channel, piece) = parts[i];
            if (piece.Length == 0) continue;
            if (channel == TextChannel.Answer) job.AnswerStarted = true;
            Emit(job, channel, piece, i == last ? logProb : null);
        }
        if (last < 0 && logProb is not null) Emit(job, FallbackChannel(job, phase), "", logProb);
    }

    private static void Emit(Job job, TextChannel channel, string text, TokenLogProb? logProb)
    {
        if (text.Length == 0 && logProb is null) return;
        job.Output.Writer.TryWrite(new GenerationText(channel, text, logProb is null ? null : [logProb]));
    }

    private TokenLogProb LogProbOf(Sampler sampler, ReadOnlySpan<float> logits, int token, int top)
    {
        var alternatives = sampler.TopLogProbs(logits, top)
            .Select(a => new TokenAlternative(a.Token, _tokenizer.Decode([a.Token]), a.LogProb, TokenBytes(a.Token)))
            .ToList();
        return new TokenLogProb(token, _tokenizer.Decode([token]), Sampler.LogProb(logits, token), TokenBytes(token), alternatives);
    }

    /// <summary>Ends the slot's request: flushes held-back text, reports usage, frees the slot (its cache stays for reuse).</summary>
    private void Finish(Slot slot, string reason)
    {
        var job = slot.Job!;
        slot.LastUsed = Stopwatch.GetTimestamp();
        if (reason is "stop" or "length" && !job.Stop!.Stopped)
        {
            var phase = job.Splitter?.Phase ?? ReasoningPhase.Answer;
            string tail = job.Decoder!.Flush();
            var parts = job.Parts;
            parts.Clear();
            if (job.Splitter is { } splitter)
            {
                splitter.Push(tail, parts);
                splitter.Flush(parts);
            }
            else if (tail.Length > 0) parts.Add((TextChannel.Answer, tail));
            EmitParts(job, parts, null, phase);
            string held = job.Stop.Flush();
            if (held.Length > 0) Emit(job, TextChannel.Answer, held, null);
        }
        lock (_gate) slot.Job = null;
        Complete(job, reason);
    }

    private void Complete(Job job, string reason)
    {
        job.Registration.Dispose();
        // Counted (and the slot or queue place shown free) before the finish goes out, so a client that has its
        // answer also finds it in the metrics.
        Metrics.RequestFinished(job.Request.Endpoint, reason);
        Metrics.ObserveRequest(job.Clock.Elapsed.TotalSeconds);
        PublishOccupancy();
        job.Output.Writer.TryWrite(new GenerationFinished(reason, job.Prompt.Length, job.CompletionTokens, job.ReasoningTokens,
            job.CachedPromptTokens, job.Tokens));
        job.Output.Writer.TryComplete();
    }

    private void Fail(Slot slot, Exception e)
    {
        var job = slot.Job;
        lock (_gate) slot.Job = null;
        if (job is not null)
        {
            job.Registration.Dispose();
            Metrics.RequestFinished(job.Request.Endpoint, "error");
            PublishOccupancy();
            job.Output.Writer.TryComplete(e);
        }
        // The cache may be half-written: forget it.
        slot.Cached.Clear();
        try { slot.Sequence?.Truncate(0); } catch (Exception) { slot.Sequence = null; }
    }

    /// <summary>Stops the scheduler; queued and running requests end with an <see cref="ObjectDisposedException"/> on
    /// their channel. Disposes what the engine owns.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _wake.Release();
        _thread.Join();
        var stopped = new ObjectDisposedException(nameof(BatchingEngine), "the server is shutting down");
        lock (_gate)
        {
            foreach (var job in _queue) job.Output.Writer.TryComplete(stopped);
            _queue.Clear();
        }
        foreach (var slot in _slots)
        {
            slot.Job?.Output.Writer.TryComplete(stopped);
            slot.Sequence?.Dispose();
        }
        _owned?.Dispose();
    }

    /// <summary>An <see cref="ITokenConstraint"/> as the engine applies it: end-of-generation tokens are the engine's
    /// business (banned while the constraint cannot end), so a drawn one is always allowed.</summary>
    private sealed class AnswerConstraint(ITokenConstraint inner, IReadOnlySet<int> endIds) : ITokenConstraint
    {
        public void Mask(Span<float> logits) => inner.Mask(logits);
        public bool Allows(int token) => endIds.Contains(token) || inner.Allows(token);
        public void Accept(int token) => inner.Accept(token);
        public bool CanEnd => inner.CanEnd;
        public bool MustEnd => inner.MustEnd;
    }

    private sealed class Slot(int vocabSize)
    {
        public ISequenceState? Sequence;
        /// <summary>The tokens in <see cref="Sequence"/>'s cache, in order (for prefix reuse).</summary>
        public readonly List<int> Cached = [];
        public readonly float[] Logits = new float[vocabSize];
        public readonly int[] NextInput = new int[1];
        public readonly Sampler Sampler = new(SamplingOptions.Default, vocabSize);
        public Job? Job;
        public long LastUsed;
        public int WeightsEpoch; // the engine's weights epoch when this slot's cache started
    }

    private sealed class Job(GenerationRequest request, CancellationToken cancellation, TimeSpan timeout)
    {
        public readonly GenerationRequest Request = request;
        public readonly int[] Prompt = request.PromptTokens;
        public readonly Channel<GenerationUpdate> Output =
            Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        public readonly Stopwatch Clock = Stopwatch.StartNew();
        public CancellationTokenRegistration Registration;
        public bool IsCancelled => cancellation.IsCancellationRequested;
        public bool IsExpired => Clock.Elapsed > timeout;
        public int PrefillPos, CachedPromptTokens, CompletionTokens, NextToken;
        public int ReasoningTokens => Budget?.ReasoningTokens ?? 0;
        public bool CloseForced, AnswerStarted;
        public readonly Queue<int> Forced = new();
        public readonly List<(TextChannel Channel, string Text)> Parts = [];
        public int[]? BanScratch;
        public List<int>? Tokens;
        public ReasoningSplitter? Splitter;
        public ThinkingBudget? Budget;
        public ITokenConstraint? Constraint;
        public StreamingDecoder? Decoder;
        public StopStringMatcher? Stop;
    }
}
