namespace R1Sharp.Models;

/// <summary>The per-sequence state of a model (its KV cache): tokens seen so far and room for more.</summary>
public interface ISequenceState : IDisposable
{
    /// <summary>Tokens already in the cache (the position of the next token).</summary>
    int Length { get; }

    int Capacity { get; }

    /// <summary>Forgets every token from <paramref name="length"/> on (0 &lt;= length &lt;= Length), e.g. to reuse a shared prompt prefix.</summary>
    void Truncate(int length);
}
