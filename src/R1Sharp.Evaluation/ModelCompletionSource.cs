using R1Sharp.Inference;
using R1Sharp.Inference.Reasoning;
using R1Sharp.Inference.Sampling;
using R1Sharp.Models;
using R1Sharp.Tokenization;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Evaluation;

/// <summary>Samples completions from a loaded GGUF model: the question as one user turn through the model's chat
/// template, the k samples of a prompt decoded together in one batch (one read of the weights per step), each with
/// its own seeded sampler, until an end-of-generation token or <c>maxTokens</c>.</summary>
public sealed class ModelCompletionSource(LoadedModel model, SamplingOptions sampling, int maxTokens) : ICompletionSource
{
    private ulong _calls;

    public IReadOnlyList<Completion> Complete(string prompt, int samples, CancellationToken cancellationToken)
    {
        string rendered = model.Template.Render([new ChatMessage("user", prompt)], addGenerationPrompt: true);
        int[] promptIds = model.EncodePrompt(rendered);
        bool startsInReasoning = rendered.TrimEnd().EndsWith("<think>", StringComparison.Ordinal);
        var lm = model.Model;
        int vocab = lm.Config.VocabSize;
        int capacity = Math.Min(lm.Config.ContextLength, promptIds.Length + maxTokens);
        if (promptIds.Length >= capacity)
            throw new InvalidOperationException($"the prompt has {promptIds.Length} tokens, the model's context is {lm.Config.ContextLength}");

        ulong call = _calls++;
        var seqs = new ISequenceState[samples];
        var state = new SampleState[samples];
        var logits = new float[samples * vocab];
        try
        {
            var items = new List<ForwardItem>(samples);
            for (int i = 0; i < samples; i++)
            {
                seqs[i] = lm.CreateSequence(capacity);
                ulong seed = (sampling.Seed ?? 0x5EED) + call * 1_000_003UL + (ulong)i;
                state[i] = new SampleState(new Sampler(sampling with { Seed = seed }, vocab), new StreamingDecoder(model.Tokenizer),
                                           new ReasoningSplitter(startsInReasoning));
                foreach (int t in promptIds) state[i].Sampler.Accept(t);
                items.Add(new ForwardItem(seqs[i], promptIds, logits.AsMemory(i * vocab, vocab)));
            }
            lm.Forward(items);
            var eog = model.Tokenizer.EndOfGenerationIds;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                items.Clear();
                for (int i = 0; i < samples; i++)
                {
                    var s = state[i];
                    if (s.Done) continue;
                    int token = s.Sampler.Sample(logits.AsSpan(i * vocab, vocab));
                    if (eog.Contains(token)) { s.Finish(); continue; }
                    s.Sampler.Accept(token);
                    s.Add(token);
                    if (seqs[i].Length + 1 >= capacity) { s.Finish(); continue; }
                    items.Add(new ForwardItem(seqs[i], new[] { token }, logits.AsMemory(i * vocab, vocab)));
                }
                if (items.Count == 0) break;
                lm.Forward(items);
            }
            return state.Select(s => s.ToCompletion()).ToList();
        }
        finally
        {
            foreach (var s in seqs) s?.Dispose();
        }
    }

    private sealed class SampleState(Sampler sampler, StreamingDecoder decoder, ReasoningSplitter splitter)
    {
        private readonly System.Text.StringBuilder _reasoning = new(), _answer = new();
        private int _reasoningTokens, _answerTokens;
        public Sampler Sampler { get; } = sampler;
        public bool Done { get; private set; }

        public void Add(int token)
        {
            // A token counts as reasoning while the reasoning is open when it arrives (so </think> is reasoning).
            if (splitter.InReasoning) _reasoningTokens++; else _answerTokens++;
            Append(splitter.Push(decoder.Push(token)));
        }

        public void Finish()
        {
            Append(splitter.Push(decoder.Flush()));
            Append(splitter.Flush());
            Done = true;
        }

        private void Append(IReadOnlyList<(ReasoningPart Part, string Text)> parts)
        {
            foreach (var (part, text) in parts) (part == ReasoningPart.Reasoning ? _reasoning : _answer).Append(text);
        }

        public Completion ToCompletion() => new(_reasoning.ToString(), _answer.ToString().Trim(), _reasoningTokens, _answerTokens);
    }
}
