using System.Runtime.CompilerServices;

namespace R1Sharp.Inference.Constraints;

/// <summary>An entry of a matching configuration's call stack (immutable and shared between configurations): where to
/// go on when the called rule ends, and the caller's used keys.</summary>
internal sealed class CallFrame : IEquatable<CallFrame>
{
    private readonly int _hash;

    public CallFrame(int returnNode, UsedKeys? keys, CallFrame? parent)
    {
        Return = returnNode;
        Keys = keys;
        Parent = parent;
        _hash = HashCode.Combine(returnNode, keys == null ? 0 : RuntimeHelpers.GetHashCode(keys), parent?._hash ?? 0);
    }

    public int Return { get; }
    public UsedKeys? Keys { get; }
    public CallFrame? Parent { get; }

    public bool Equals(CallFrame? other)
    {
        for (CallFrame? a = this, b = other; ; a = a.Parent, b = b.Parent)
        {
            if (ReferenceEquals(a, b)) return true;
            if (a is null || b is null || a._hash != b._hash || a.Return != b.Return || !ReferenceEquals(a.Keys, b.Keys)) return false;
        }
    }

    public override bool Equals(object? obj) => obj is CallFrame f && Equals(f);

    public override int GetHashCode() => _hash;

    public static bool Same(CallFrame? a, CallFrame? b) => ReferenceEquals(a, b) || a is not null && a.Equals(b);
}
