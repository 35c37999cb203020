using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace R1Sharp.Tokenization.Templates;

/// <summary>
/// What one render has spent of its <see cref="TemplateLimits"/>: loop iterations, bytes built, call and evaluation
/// depth, time. The render's thread holds it in <see cref="Current"/> while the render runs, because the operations
/// that must stop a blow-up (Python's repr, equality, json.dumps, str methods) are reached from filters, methods and
/// dictionary comparers that have no renderer at hand. Outside a render (Current null) nothing is limited.
/// </summary>
internal sealed class TemplateBudget
{
    [ThreadStatic] private static TemplateBudget? t_current;

    private readonly long _deadline;
    private long _iterations, _allocated, _work;
    private int _calls, _depth;

    public TemplateBudget(TemplateLimits limits)
    {
        Limits = limits;
        _deadline = Stopwatch.GetTimestamp() + (long)(limits.MaxRenderTime.TotalSeconds * Stopwatch.Frequency);
    }

    public TemplateLimits Limits { get; }

    /// <summary>The budget of the render running on this thread, if any.</summary>
    public static TemplateBudget? Current => t_current;

    /// <summary>Makes this the thread's current budget until the returned scope is disposed (renders may nest).</summary>
    public Scope Enter()
    {
        var previous = t_current;
        t_current = this;
        return new Scope(previous);
    }

    public readonly struct Scope(TemplateBudget? previous) : IDisposable
    {
        public void Dispose() => t_current = previous;
    }

    /// <summary>One iteration of a for loop.</summary>
    public void LoopIteration()
    {
        if (++_iterations > Limits.MaxLoopIterations)
            throw new TemplateException($"template error: more than {Limits.MaxLoopIterations:N0} loop iterations (template limit)");
        CheckTime();
    }

    /// <summary>Entering a macro, caller() or recursive loop() call.</summary>
    public void EnterCall()
    {
        if (++_calls > Limits.MaxCallDepth) throw new TemplateException("maximum recursion depth exceeded");
        CheckTime();
    }

    public void ExitCall() => _calls--;

    /// <summary>Entering the evaluation of a node: bounds the native stack whatever the template's shape.</summary>
    public void EnterNode()
    {
        if (++_depth > 10 * Limits.MaxNestingDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new TemplateException("template error: nested too deeply (template limit)");
    }

    public void ExitNode() => _depth--;

    /// <summary>A string of <paramref name="length"/> characters is about to be built: within the size limit and the
    /// render's allocation budget.</summary>
    public void String(long length)
    {
        if (length > Limits.MaxStringLength)
            throw new TemplateException($"template error: a string of {length:N0} characters exceeds the limit of {Limits.MaxStringLength:N0}");
        Allocate(2 * length);
    }

    /// <summary>A string being built (repr, json, formatting) has reached <paramref name="length"/> characters.</summary>
    public void Building(long length)
    {
        if (length > Limits.MaxStringLength)
            throw new TemplateException($"template error: a string of more than {Limits.MaxStringLength:N0} characters (template limit)");
        Work();
    }

    /// <summary>A list, tuple or dict of <paramref name="count"/> items is about to be built.</summary>
    public void Collection(long count)
    {
        if (count > Limits.MaxCollectionLength)
            throw new TemplateException($"template error: a collection of {count:N0} items exceeds the limit of {Limits.MaxCollectionLength:N0}");
        Allocate(16 * count);
    }

    private void Allocate(long bytes)
    {
        _allocated += bytes;
        if (_allocated > Limits.MaxAllocatedBytes)
            throw new TemplateException($"template error: built more than {Limits.MaxAllocatedBytes >> 20:N0} MiB of values (template limit)");
    }

    /// <summary>Steps of a traversal (repr, equality, json) or of a builtin's loop: checks the clock now and then.</summary>
    public void Work(long steps = 1)
    {
        _work += steps;
        if (_work >= 4096)
        {
            _work = 0;
            CheckTime();
        }
    }

    /// <summary>Value nesting (a list inside a list...) at <paramref name="level"/> while traversing.</summary>
    public void Nesting(int level)
    {
        if (level > Limits.MaxNestingDepth)
            throw new TemplateException($"template error: a value nested deeper than {Limits.MaxNestingDepth} levels (template limit)");
        Work();
    }

    private void CheckTime()
    {
        if (Stopwatch.GetTimestamp() > _deadline)
            throw new TemplateException($"template error: rendering took longer than {Limits.MaxRenderTime.TotalSeconds:0.###} s (template limit)");
    }
}
