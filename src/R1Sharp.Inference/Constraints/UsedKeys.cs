namespace R1Sharp.Inference.Constraints;

/// <summary>The keys written so far in one object (hashes of their decoded text), an immutable list shared between
/// configurations: a free key may not repeat one of them.</summary>
internal sealed class UsedKeys(ulong hash, UsedKeys? next)
{
    public ulong Hash { get; } = hash;
    public UsedKeys? Next { get; } = next;

    public static bool Contains(UsedKeys? list, ulong hash)
    {
        for (var k = list; k != null; k = k.Next)
            if (k.Hash == hash) return true;
        return false;
    }
}
