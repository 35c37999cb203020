namespace R1Sharp.Inference.Sampling;

/// <summary>
/// Restricts which tokens may be generated next: structured outputs (a JSON schema compiled to a grammar), forced tool
/// calls. One instance per request, stateful. The engine applies it to the answer only (after the thought is closed,
/// or from the start when there is no thought), never to forced tokens.
/// End-of-generation tokens are the engine's business: the constraint neither masks nor allows them; the engine masks
/// them while <see cref="CanEnd"/> is false and ends the request once <see cref="MustEnd"/> is true.
/// </summary>
public interface ITokenConstraint
{
    /// <summary>Sets to negative infinity the logit of every token (other than end-of-generation tokens) that may not
    /// come next: its bytes cannot continue the text so far, or it is a control token. logits: [vocab].</summary>
    void Mask(Span<float> logits);

    /// <summary>Whether <paramref name="token"/> may come next (cheap check of one sampled token, so a sampler can try
    /// the unconstrained draw first and mask only when it is rejected).</summary>
    bool Allows(int token);

    /// <summary>Advances past a generated token; throws <see cref="InvalidOperationException"/> if it was not allowed.</summary>
    void Accept(int token);

    /// <summary>The text so far is a complete value: the engine may let the model end here.</summary>
    bool CanEnd { get; }

    /// <summary>The text so far is complete and nothing may follow: the engine ends the request.</summary>
    bool MustEnd { get; }
}
