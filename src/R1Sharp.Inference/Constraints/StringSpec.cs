namespace R1Sharp.Inference.Constraints;

/// <summary>A JSON string terminal: quotes included, lengths in code points (see <see cref="StringScan"/>). A key spec
/// also refuses, at its closing quote, the names in <see cref="ExcludedKeys"/> and the keys already used in its object.</summary>
internal sealed class StringSpec
{
    public const int Unbounded = int.MaxValue;

    public StringSpec(int minLength, int maxLength, bool isKey = false, IReadOnlySet<ulong>? excludedKeys = null)
    {
        if (minLength < 0 || maxLength < minLength) throw new ArgumentOutOfRangeException(nameof(minLength));
        MinLength = minLength;
        MaxLength = maxLength;
        IsKey = isKey;
        ExcludedKeys = excludedKeys ?? new HashSet<ulong>();
    }

    public int MinLength { get; }
    public int MaxLength { get; }
    public bool IsKey { get; }
    public IReadOnlySet<ulong> ExcludedKeys { get; }

    public static StringSpec Any { get; } = new(0, Unbounded);
}
