using System.Diagnostics;
using System.Threading.Channels;
using R1Sharp.Models;
using R1Sharp.Tokenization;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Inference.Batching;

/// <summary>
/// Continuous batching: one scheduler thread owns <see cref="BatchingOptions.Slots"/> slots, each a KV cache
/// (<see cref="ISequenceState"/>) with a sampler, a reasoning splitter and a streaming decoder. Every step runs ONE
/// <see cref="ILanguageModel.Forward"/> over all active slots: a decoding slot feeds its last token, a prefilling slot
/// a chunk of its prompt. Requests wait in a bounded queue and join between steps; a finished slot keeps its cache,
/// so a new prompt sharing a prefix with it (the next turn of a chat) only prefills the rest.
/// <paramref name="owned"/> (the model and its file) is disposed with the engine.
/// </summary>
public sealed class BatchingEngine : IGenerationEngine
{
    /// <summary>What the engine forces to end a thought when the thinking budget is spent.</summary>
    public const string CloseThought = "\n</think>\n\n";

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
    private readonly int[] _closeThought;
    private readonly string? _bosText;
    private volatile bool _stopping;

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
        _closeThought = tokenizer.Encode(CloseThought, addBos: false, parseSpecial: true);
        _bosText = tokenizer.BosId is int bos ? tokenizer.TokenText(bos) : null;
        Metrics.SetOccupancy(0, 0, _slots.Length);
        _thread = new Thread(Run) { IsBackground = true, Name = "r1-batching-scheduler" };
        _thread.Start();
    }

    public string ModelName { get; }
    public int ContextLength { get; }
    public int Slots => _slots.Length;
    public int VocabSize { get; }
    public EngineMetrics Metrics { get; } = new();
    public Tokenizer Tokenizer => _tokenizer;

    public PreparedPrompt PrepareChat(IReadOnlyList<PromptMessage> messages)
    {
        if (_template is null) throw new InvalidOperationException("the model has no chat template");
        var chat = messages.Select(m => new ChatMessage(m.Role, m.Content) { ReasoningContent = m.ReasoningContent }).ToList();
        string text = _template.Render(chat, addGenerationPrompt: true);
        return new PreparedPrompt(Encode(text), text.TrimEnd().EndsWith("<think>", StringComparison.Ordinal));
    }

    public PreparedPrompt PrepareCompletion(string prompt) => new(Encode(prompt), false);

    // The templates write BOS themselves; add it only when the model wants one and the text does not start with it.
    private int[] Encode(string text)
    {
        bool addBos = _tokenizer.AddBos && _bosText is not null && !text.StartsWith(_bosText, StringComparison.Ordinal);
        return Bounded(text, addBos, parseSpecial: true);
    }

    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial) => Bounded(text, addSpecial && _tokenizer.AddBos, parseSpecial);

    // At most ContextLength - 1 prompt tokens fit (one must be left to generate): tokenizing stops past that, and a
    // text whose length alone proves it too long is refused without being tokenized (a multi-megabyte request).
    private int[] Bounded(string text, bool addBos, bool parseSpecial) =>
        _tokenizer.EncodeAtMost(text, ContextLength - 1, addBos, parseSpecial) ?? throw new ContextLengthExceededException(ContextLength);

    public string Detokenize(ReadOnlySpan<int> tokens) => _tokenizer.Decode(tokens);

    public byte[] TokenBytes(int token) => _tokenizer.TokenBytes(token).ToArray();

    public ChannelReader<GenerationUpdate> Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (request.PromptTokens.Length == 0) throw new ArgumentException("the prompt is empty", nameof(request));
        if (request.PromptTokens.Length >= ContextLength) throw new ContextLengthExceededException(request.PromptTokens.Length, ContextLength);
        foreach (int t in request.PromptTokens)
            if ((uint)t >= (uint)VocabSize) throw new ArgumentException($"token id {t} is outside the vocabulary", nameof(request));
        var job = new Job(request, cancellationToken, request.Timeout ?? _options.DefaultTimeout);
        lock (_gate)
        {
            if (_queue.Count >= _options.QueueSize)
                throw new EngineOverloadedException(TimeSpan.FromSeconds(Math.Clamp(_queue.Count / Math.Max(1, _slots.Length), 1, 30)));
            _queue.AddLast(job);
            Metrics.SetOccupancy(_queue.Count, _slots.Count(s => s.Job is not null), _slots.Length);
        }
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
                Advance(slot, job);
                decoded++;
                reasoning += job.ReasoningTokens - reasoningBefore;
            }
            Metrics.TokensGenerated(decoded, reasoning);
            lock (_gate) Metrics.SetOccupancy(_queue.Count, _slots.Count(s => s.Job is not null), _slots.Length);
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
                        int common = CommonPrefix(slot.Cached, job.Prompt);
                        if (common > bestCommon) (best, bestCommon) = (slot, common);
                        if (lru is null || slot.LastUsed < lru.LastUsed) lru = slot;
                    }
                    if (best is null) return;
                    // A short shared prefix (the chat template's opening) is not worth another conversation's cache:
                    // take the least recently used slot then.
                    if (bestCommon < job.Prompt.Length / 2 && lru != best) (best, bestCommon) = (lru!, CommonPrefix(lru!.Cached, job.Prompt));
                }
                _queue.RemoveFirst();
            }
            if (best is null)
            {
                Complete(job, job.IsCancelled ? "cancelled" : "timeout", 0);
                continue;
            }
            Start(best, job, bestCommon);
        }
    }

    private void Start(Slot slot, Job job, int common)
    {
        try
        {
            slot.Sequence ??= _model.CreateSequence(ContextLength);
            // Keep at least one prompt token to feed, so the step yields the logits of the prompt's last token.
            int keep = Math.Min(common, job.Prompt.Length - 1);
            slot.Sequence.Truncate(keep);
            slot.Cached.RemoveRange(keep, slot.Cached.Count - keep);
            job.PrefillPos = keep;
            job.CachedPromptTokens = keep;
            var p = job.Request.Parameters;
            job.Sampler = new SlotSampler(p, VocabSize, p.Seed ?? (ulong)Random.Shared.NextInt64());
            job.Splitter = job.Request.SplitReasoning ? new ThinkSplitter(job.Request.StartsInReasoning) : null;
            job.Decoder = new StreamingDecoder(_tokenizer);
            job.Stop = new StopStringMatcher(p.Stop);
            job.ThinkingBudget = job.Request.SplitReasoning ? p.ThinkingBudget ?? _options.DefaultThinkingBudget : null;
            slot.Job = job;
            slot.LastUsed = Stopwatch.GetTimestamp();
            Metrics.ObserveQueueWait(job.Clock.Elapsed.TotalSeconds);
            Metrics.PromptProcessed(job.Prompt.Length, keep);
        }
        catch (Exception e)
        {
            slot.Job = job;
            Fail(slot, e);
        }
    }

    private static int CommonPrefix(List<int> cached, int[] prompt)
    {
        int n = Math.Min(cached.Count, prompt.Length), i = 0;
        while (i < n && cached[i] == prompt[i]) i++;
        return i;
    }

    private void ExpireAndCancel()
    {
        foreach (var slot in _slots)
            if (slot.Job is { } job && (job.IsCancelled || job.IsExpired))
                Finish(slot, job.IsCancelled ? "cancelled" : "timeout");
    }

    /// <summary>The logits of the slot's last fed token are ready: pick the next token and stream its text.</summary>
    private void Advance(Slot slot, Job job)
    {
        var logits = slot.Logits.AsSpan(0, VocabSize);
        var splitter = job.Splitter;
        // Thinking budget: once the thought has used it up, the engine writes "</think>" itself.
        if (splitter is { InReasoning: true } && job.ThinkingBudget is int budget && job.ReasoningTokens >= budget && !job.Closing)
        {
            job.Closing = true;
            foreach (int t in _closeThought) job.Forced.Enqueue(t);
        }
        bool forced = job.Forced.Count > 0;
        int token = forced ? job.Forced.Dequeue() : job.Sampler!.Sample(logits);
        job.Sampler!.Accept(token);
        TokenLogProb? logProb = job.Request.Parameters.LogProbs ? LogProbOf(logits, token, job.Request.Parameters.TopLogProbs) : null;
        job.CompletionTokens++;
        if (job.CompletionTokens == 1) Metrics.ObserveFirstToken(job.Clock.Elapsed.TotalSeconds);
        bool wasReasoning = splitter is { InReasoning: true };
        if (wasReasoning && !forced) job.ReasoningTokens++;

        if (!job.Request.Parameters.IgnoreEos && _tokenizer.EndOfGenerationIds.Contains(token))
        {
            if (logProb is not null) Emit(job, wasReasoning ? TextChannel.Reasoning : TextChannel.Answer, "", logProb);
            Finish(slot, "stop");
            return;
        }
        string text = job.Decoder!.Push(token);
        var channel = wasReasoning ? TextChannel.Reasoning : TextChannel.Answer;
        bool attached = false;
        if (splitter is null) attached = EmitAnswer(job, text, logProb);
        else
            foreach (var (part, piece) in splitter.Push(text))
            {
                if (part == TextChannel.Reasoning) { bool mine = channel == TextChannel.Reasoning; Emit(job, TextChannel.Reasoning, piece, mine ? logProb : null); attached |= mine; }
                else { bool mine = channel == TextChannel.Answer; attached |= EmitAnswer(job, piece, mine ? logProb : null) && mine; }
                if (job.Stop!.Stopped) break;
            }
        if (!attached && logProb is not null) Emit(job, channel, "", logProb);
        job.NextToken = token;

        if (job.Stop!.Stopped) Finish(slot, "stop");
        else if (job.Request.Parameters.MaxTokens is int max && job.CompletionTokens >= max) Finish(slot, "length");
        else if (slot.Sequence!.Length + 1 >= ContextLength) Finish(slot, "length");
    }

    /// <summary>Answer text goes through the stop-string matcher; returns whether the log-probability went out with it.</summary>
    private static bool EmitAnswer(Job job, string text, TokenLogProb? logProb)
    {
        string ready = job.Stop!.Push(text);
        if (ready.Length == 0 && logProb is null) return false;
        Emit(job, TextChannel.Answer, ready, logProb);
        return logProb is not null;
    }

    private static void Emit(Job job, TextChannel channel, string text, TokenLogProb? logProb)
    {
        if (text.Length == 0 && logProb is null) return;
        job.Output.Writer.TryWrite(new GenerationText(channel, text, logProb is null ? null : [logProb]));
    }

    private TokenLogProb LogProbOf(ReadOnlySpan<float> logits, int token, int top)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits) if (v > max) max = v;
        double sum = 0;
        foreach (float v in logits) sum += Math.Exp(v - max);
        float logZ = max + (float)Math.Log(sum);
        var alternatives = new List<TokenAlternative>(top);
        if (top > 0)
        {
            // Partial selection of the `top` largest logits.
            var best = new List<int>(top + 1);
            for (int i = 0; i < logits.Length; i++)
            {
                if (best.Count == top && logits[i] <= logits[best[^1]]) continue;
                int at = best.Count;
                while (at > 0 && logits[best[at - 1]] < logits[i]) at--;
                best.Insert(at, i);
                if (best.Count > top) best.RemoveAt(top);
            }
            foreach (int id in best) alternatives.Add(new TokenAlternative(id, _tokenizer.Decode([id]), logits[id] - logZ, TokenBytes(id)));
        }
        return new TokenLogProb(token, _tokenizer.Decode([token]), logits[token] - logZ, TokenBytes(token), alternatives);
    }

    /// <summary>Ends the slot's request: flushes held-back text, reports usage, frees the slot (its cache stays for reuse).</summary>
    private void Finish(Slot slot, string reason)
    {
        var job = slot.Job!;
        slot.Job = null;
        slot.LastUsed = Stopwatch.GetTimestamp();
        if (reason is "stop" or "length")
        {
            string tail = job.Decoder!.Flush();
            if (job.Splitter is { } splitter)
            {
                var parts = splitter.Push(tail).Concat(splitter.Flush());
                foreach (var (part, piece) in parts)
                    if (part == TextChannel.Reasoning) Emit(job, TextChannel.Reasoning, piece, null);
                    else EmitAnswer(job, piece, null);
            }
            else EmitAnswer(job, tail, null);
            Emit(job, TextChannel.Answer, job.Stop!.Flush(), null);
        }
        Complete(job, reason, job.PrefillPos >= job.Prompt.Length ? job.Prompt.Length : job.PrefillPos);
    }

    private void Complete(Job job, string reason, int promptTokens)
    {
        job.Registration.Dispose();
        job.Output.Writer.TryWrite(new GenerationFinished(reason, job.Prompt.Length, job.CompletionTokens, job.ReasoningTokens, job.CachedPromptTokens));
        job.Output.Writer.TryComplete();
        Metrics.ObserveRequest(job.Clock.Elapsed.TotalSeconds);
    }

    private void Fail(Slot slot, Exception e)
    {
        if (slot.Job is { } job)
        {
            job.Registration.Dispose();
            job.Output.Writer.TryComplete(e);
        }
        slot.Job = null;
        // The cache may be half-written: forget it.
        slot.Cached.Clear();
        try { slot.Sequence?.Truncate(0); } catch (Exception) { slot.Sequence = null; }
    }

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

    private sealed class Slot(int vocabSize)
    {
        public ISequenceState? Sequence;
        /// <summary>The tokens in <see cref="Sequence"/>'s cache, in order (for prefix reuse).</summary>
        public readonly List<int> Cached = [];
        public readonly float[] Logits = new float[vocabSize];
        public readonly int[] NextInput = new int[1];
        public Job? Job;
        public long LastUsed;
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
        public int PrefillPos, CachedPromptTokens, CompletionTokens, ReasoningTokens, NextToken;
        public int? ThinkingBudget;
        public bool Closing;
        public readonly Queue<int> Forced = new();
        public SlotSampler? Sampler;
        public ThinkSplitter? Splitter;
        public StreamingDecoder? Decoder;
        public StopStringMatcher? Stop;
    }
}
