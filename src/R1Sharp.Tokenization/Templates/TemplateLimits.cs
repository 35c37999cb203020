namespace R1Sharp.Tokenization.Templates;

/// <summary>
/// Bounds on what one template may cost. A chat template comes with any downloaded model, so a hostile one must end in
/// a one-line <see cref="TemplateException"/>, never a hang, a crash or gigabytes of memory. The defaults are far above
/// what real chat templates need (rendering a long conversation takes milliseconds, a few loop iterations per message,
/// nesting under 20 levels) and below what hurts a server. docs/security.md lists them.
/// </summary>
public sealed record TemplateLimits
{
    /// <summary>Characters of the rendered text, and of any one string built while rendering (16 Mi).</summary>
    public int MaxStringLength { get; init; } = 16 << 20;

    /// <summary>Items of any one list, tuple or dict built while rendering, and characters of a string iterated (1 Mi).</summary>
    public int MaxCollectionLength { get; init; } = 1 << 20;

    /// <summary>Bytes of the strings (2 per character) and collections (16 per item) built during one render, all
    /// together: bounds the memory a render can hold (512 MiB).</summary>
    public long MaxAllocatedBytes { get; init; } = 512L << 20;

    /// <summary>Iterations of all for loops of one render together (1 Mi).</summary>
    public long MaxLoopIterations { get; init; } = 1 << 20;

    /// <summary>Nested calls: macros, caller() and recursive loop() (200).</summary>
    public int MaxCallDepth { get; init; } = 200;

    /// <summary>Nesting of the template source (blocks inside blocks, brackets, operator chains) and of values (lists of
    /// lists) (100). Evaluation depth, which macros multiply, is held to ten times this.</summary>
    public int MaxNestingDepth { get; init; } = 100;

    /// <summary>Wall-clock time of one render (5 s).</summary>
    public TimeSpan MaxRenderTime { get; init; } = TimeSpan.FromSeconds(5);

    public static TemplateLimits Default { get; } = new();
}
