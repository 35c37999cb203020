namespace R1Sharp.Inference.Batching;

/// <summary>A generation setting is out of range; <see cref="Field"/> is its API name (the server's 400 names it).</summary>
public sealed class GenerationParameterException(string message, string field) : ArgumentException(message)
{
    public string Field { get; } = field;
}
