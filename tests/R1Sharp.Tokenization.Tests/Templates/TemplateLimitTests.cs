using System.Diagnostics;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Tokenization.Tests.Templates;

/// <summary>Hostile templates (issue 13 item 6) end in one TemplateException, quickly and without holding much memory;
/// real templates stay far inside the limits.</summary>
public class TemplateLimitTests
{
    private static readonly Dictionary<string, object?> NoVariables = new();

    // The default limits without the clock (tests run on busy machines; the clock has its own test).
    private static readonly TemplateLimits Patient = TemplateLimits.Default with { MaxRenderTime = TimeSpan.FromMinutes(2) };

    /// <summary>Renders with the default limits; returns the error, the seconds taken and the bytes allocated.</summary>
    private static (TemplateException Error, double Seconds, long Bytes) Fails(string source, TemplateLimits? limits = null)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<TemplateException>(() =>
            new JinjaTemplate(source, JinjaOptions.Transformers with { Limits = limits ?? Patient }).Render(NoVariables));
        Assert.DoesNotContain('\n', e.Message);
        return (e, sw.Elapsed.TotalSeconds, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void AHugeRepeatFailsBeforeAllocating()
    {
        // was: 58 s and 8.8 GB in r1 render
        var (e, seconds, bytes) = Fails("{{ 'a' * 1000000000 }}");
        Assert.Contains("1,000,000,000 characters exceeds the limit", e.Message);
        Assert.True(seconds < 10, $"{seconds} s");
        Assert.True(bytes < 10 << 20, $"{bytes} bytes");
        Assert.Contains("collection of 1,000,000,000 items", Fails("{{ [1] * 1000000000 }}").Error.Message);
        Assert.Contains("exceeds the limit", Fails("{{ 'x'.ljust(2000000000) }}").Error.Message);
        Assert.Contains("exceeds the limit", Fails("{{ 'x' | center(2000000000) }}").Error.Message);
        Assert.Contains("exceeds the limit", Fails("{{ 'x\\ny' | indent(100000000) }}").Error.Message);
        Assert.Contains("exceeds the limit", Fails("{{ [1] | tojson(indent=100000000) }}").Error.Message);
        Assert.Contains("exceeds the limit", Fails("{{ ('a' * 1000000).replace('a', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb') }}").Error.Message);
        Assert.Contains("exceeds the limit", Fails("{{ 'ab' | batch(2000000000, 'x') | list }}").Error.Message);
    }

    [Fact]
    public void NestedHugeLoopsStop()
    {
        // was: a hang (10^10 iterations)
        var (e, seconds, _) = Fails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
        Assert.Contains("1,048,576 loop iterations", e.Message);
        Assert.True(seconds < 30, $"{seconds} s");
    }

    [Fact]
    public void OutputIsBounded()
    {
        var (e, _, bytes) = Fails("{% for i in range(100000) %}{{ 'a' * 1000 }}{% endfor %}");
        Assert.Contains("output exceeds the limit of 16,777,216 characters", e.Message);
        Assert.True(bytes < 400L << 20, $"{bytes} bytes");
        // the same inside a macro's body and a set block
        var small = Patient with { MaxStringLength = 1 << 20 };
        Assert.Contains("output exceeds", Fails("{% macro m() %}{% for i in range(100000) %}{{ 'a' * 1000 }}{% endfor %}{% endmacro %}{{ m() }}", small).Error.Message);
        Assert.Contains("output exceeds", Fails("{% set x %}{% for i in range(100000) %}{{ 'a' * 1000 }}{% endfor %}{% endset %}", small).Error.Message);
    }

    [Fact]
    public void HeldMemoryIsBounded()
    {
        // every string is under the size limit, but a render may not pile up more than its allocation budget
        var (e, _, bytes) = Fails("{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = ns.l + ['a' * 1000000] %}{% endfor %}",
            Patient with { MaxAllocatedBytes = 64 << 20 });
        Assert.Contains("more than 64 MiB of values", e.Message);
        Assert.True(bytes < 100L << 20, $"{bytes} bytes");
        // a list that holds one large string many times: join and repr check the total before building it
        var small = Patient with { MaxStringLength = 1 << 20 };
        Assert.Contains("exceeds the limit", Fails("{% set big = 'a' * 100000 %}{{ ([big] * 1000) | join }}", small).Error.Message);
        Assert.Contains("more than 1,048,576 characters", Fails("{% set big = 'a' * 100000 %}{{ [big] * 1000 }}", small).Error.Message);
        Assert.Contains("more than 1,048,576 characters", Fails("{% set big = 'a' * 100000 %}{{ ([big] * 1000) | tojson }}", small).Error.Message);
    }

    [Fact]
    public void RecursionAndNestingStopCleanly()
    {
        Assert.Contains("maximum recursion depth", Fails("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").Error.Message);
        // source nesting: brackets, operator chains, blocks, filter chains (each would overflow the stack unchecked)
        Assert.Contains("levels deep", Fails("{{ " + new string('(', 100000) + "1" + new string(')', 100000) + " }}").Error.Message);
        Assert.Contains("levels deep", Fails("{{ 1" + string.Concat(Enumerable.Repeat(" + 1", 100000)) + " }}").Error.Message);
        Assert.Contains("levels deep", Fails("{{ x" + string.Concat(Enumerable.Repeat("|trim", 100000)) + " }}").Error.Message);
        Assert.Contains("levels deep", Fails("{{ x" + string.Concat(Enumerable.Repeat(".a", 100000)) + " }}").Error.Message);
        Assert.Contains("levels deep", Fails("{{ " + string.Concat(Enumerable.Repeat("not ", 100000)) + "x }}").Error.Message);
        Assert.Contains("levels deep", Fails(string.Concat(Enumerable.Repeat("{% if x %}", 10000)) + string.Concat(Enumerable.Repeat("{% endif %}", 10000))).Error.Message);
        // value nesting built at run time
        Assert.Contains("nested deeper than 100", Fails("{% set ns = namespace(x=1) %}{% for i in range(10000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}").Error.Message);
        Assert.Contains("nested deeper than 100", Fails("{% set ns = namespace(x=1) %}{% for i in range(10000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x == ns.x }}").Error.Message);
    }

    [Fact]
    public void ExponentialWorkStopsOnTheClock()
    {
        // a shared structure 2^60 leaves wide: equality walks it all; the render stops at its time limit
        var limits = TemplateLimits.Default with { MaxRenderTime = TimeSpan.FromMilliseconds(300) };
        var (e, seconds, _) = Fails("{% set ns = namespace(x=[1]) %}{% for i in range(60) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}{{ ns.x == [ns.x[0], ns.x[1]] }}", limits);
        Assert.Contains("longer than 0.3 s", e.Message);
        Assert.True(seconds < 3, $"{seconds} s");
        // a quadratic filter on a large list
        Assert.Contains("longer than 0.3 s", Fails("{{ range(100000) | list | unique | length }}", limits).Error.Message);
    }

    [Fact]
    public void IntegersBeyond64BitsAreAnErrorNotAHang()
    {
        var (e, seconds, _) = Fails("{{ 2 ** 100000000000 }}");
        Assert.Contains("beyond 64 bits", e.Message);
        Assert.True(seconds < 10);
        Assert.Contains("beyond 64 bits", Fails("{{ 9223372036854775807 + 1 }}").Error.Message);
        Assert.Equal("1024", new JinjaTemplate("{{ 2 ** 10 }}").Render(NoVariables));
        Assert.Equal("-9223372036854775808", new JinjaTemplate("{{ (-2) ** 63 }}").Render(NoVariables));
    }

    [Fact]
    public void FunctionsPrintAsPythonObjectsInsteadOfOverflowingTheStack()
    {
        // was: a process-killing stack overflow (str of a bound method called itself)
        Assert.Equal("<built-in method upper of str object>", new JinjaTemplate("{{ 'a'.upper }}").Render(NoVariables));
        Assert.Equal("<built-in method upper of str object>", new JinjaTemplate("{{ 'a' | attr('upper') }}").Render(NoVariables));
    }

    [Fact]
    public void NegativeWidthsPadNothingAsInPython()
    {
        // were ArgumentOutOfRangeExceptions; Python's ' ' * -1 is ''
        Assert.Equal("a\nb", new JinjaTemplate("{{ 'a\\nb' | indent(-1) }}").Render(NoVariables));
        Assert.Equal("[\n1\n]", new JinjaTemplate("{{ [1] | tojson(indent=-1) }}").Render(NoVariables));
        Assert.Equal("ab", new JinjaTemplate("{{ 'ab'.ljust(-5) }}{{ 'ab'.zfill(-1)[2:] }}").Render(NoVariables));
    }

    [Fact]
    public void StringIndexingDoesNotSplitTheWholeString()
    {
        // content[0] / content[:n] on a long message: direct, not a list of every character
        var vars = new Dictionary<string, object?> { ["s"] = new string('x', 10_000_000) + "yz" };
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal("x|z|yz|2", new JinjaTemplate("{{ s[0] }}|{{ s[-1] }}|{{ s[-2:] }}|{{ s[10000000:] | length }}").Render(vars));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Equal("😀|é😀", new JinjaTemplate("{{ s[1] }}|{{ s[:2] }}").Render(new Dictionary<string, object?> { ["s"] = "é😀b" }));
    }
}
