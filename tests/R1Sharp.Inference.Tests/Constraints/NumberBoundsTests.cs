using System.Globalization;
using R1Sharp.Inference.Constraints;
using static R1Sharp.Inference.Tests.Constraints.ConstraintKit;

namespace R1Sharp.Inference.Tests.Constraints;

/// <summary>Numeric bounds are exact: every integer text of a range is in the language iff its value is in range,
/// and prefixes are kept only while some completion is.</summary>
public class NumberBoundsTests
{
    [Theory]
    [InlineData("\"minimum\":-15,\"maximum\":200", -15, 200)]
    [InlineData("\"exclusiveMinimum\":-15,\"exclusiveMaximum\":200", -14, 199)]
    [InlineData("\"minimum\":-15.5,\"maximum\":199.99", -15, 199)]
    [InlineData("\"exclusiveMinimum\":-15.5,\"exclusiveMaximum\":199.99", -15, 199)]
    [InlineData("\"minimum\":5,\"maximum\":5", 5, 5)]
    [InlineData("\"minimum\":-300,\"maximum\":-7", -300, -7)]
    [InlineData("\"minimum\":0", 0, long.MaxValue)]
    [InlineData("\"maximum\":-1", long.MinValue, -1)]
    [InlineData("\"minimum\":1e2,\"maximum\":1.5e2", 100, 150)]
    [InlineData("\"minimum\":0,\"maximum\":1000", 0, 1000)]
    public void IntegersAreInTheLanguageExactlyWhenInRange(string bounds, long lo, long hi)
    {
        var g = Schema("{\"type\":\"integer\"," + bounds + "}");
        for (long v = -1100; v <= 1100; v++)
        {
            string text = v.ToString(CultureInfo.InvariantCulture);
            Assert.True(Accepts(g, text) == (v >= lo && v <= hi), $"{text} with {bounds}");
        }
        foreach (string bad in new[] { "-0", "00", "01", "1.0", "1e1", "+1", "--1" })
            Assert.False(Accepts(g, bad), bad);
    }

    [Fact]
    public void IntegerPrefixesAreKeptOnlyWhenACompletionFits()
    {
        var g = Schema("""{"type":"integer","minimum":150,"maximum":420}""");
        Assert.True(IsPrefix(g, "1"));   // 150..199
        Assert.False(IsPrefix(g, "14")); // 140..149 and 1400.. are out
        Assert.True(IsPrefix(g, "4"));
        Assert.True(IsPrefix(g, "42"));
        Assert.False(IsPrefix(g, "43"));
        Assert.False(IsPrefix(g, "5"));  // 5, 50..59 out; 500.. out
        Assert.False(IsPrefix(g, "-"));
        Assert.False(IsPrefix(g, "0"));
    }

    [Fact]
    public void LargeBoundsWidenTheDigitBudget()
    {
        var g = Schema("""{"type":"integer","minimum":100000000000000000,"maximum":100000000000000005}""");
        Assert.True(Accepts(g, "100000000000000003"));
        Assert.False(Accepts(g, "100000000000000006"));
        Assert.Throws<UnsupportedSchemaException>(() => Schema("""{"type":"integer","minimum":1e18}""")); // 19 digits
        var unbounded = Schema("""{"type":"integer"}""");
        Assert.True(Accepts(unbounded, "999999999999999"));
        Assert.False(Accepts(unbounded, "1000000000000000")); // 16 digits: beyond the default budget
    }

    [Fact]
    public void DecimalBoundsAreExactOnTheFractionGrid()
    {
        var g = Schema("""{"type":"number","minimum":0.5,"maximum":2.25}""");
        var cases = new Dictionary<string, bool>
        {
            ["0.5"] = true, ["0.50"] = true, ["0.499999999999"] = false, ["0.4"] = false, ["2.25"] = true,
            ["2.250000000000"] = true, ["2.250000000001"] = false, ["2.2500000000001"] = false, ["1"] = true, ["2"] = true,
            ["3"] = false, ["0"] = false, ["-1"] = false, ["1e0"] = false, ["1."] = false,
        };
        foreach (var (text, expected) in cases) Assert.True(Accepts(g, text) == expected, text);

        var open = Schema("""{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1}""");
        Assert.False(Accepts(open, "0"));
        Assert.False(Accepts(open, "0.0"));
        Assert.True(Accepts(open, "0.000000000001"));
        Assert.False(Accepts(open, "0.0000000000001")); // 13 fraction digits: off the grid
        Assert.True(Accepts(open, "0.999999999999"));
        Assert.False(Accepts(open, "1"));
        Assert.False(Accepts(open, "-0.5"));

        var negative = Schema("""{"type":"number","maximum":-0.25}""");
        Assert.True(Accepts(negative, "-0.25"));
        Assert.True(Accepts(negative, "-3"));
        Assert.False(Accepts(negative, "-0.2"));
        Assert.False(Accepts(negative, "-0"));
        Assert.True(IsPrefix(negative, "-0.2")); // -0.25 .. -0.29
    }

    [Fact]
    public void RandomDecimalsAgreeWithExactComparison()
    {
        var rng = new Random(7);
        var bounds = new[] { ("-3.75", "12.125"), ("0.001", "0.002"), ("-100", "-99.5") };
        foreach (var (lo, hi) in bounds)
        {
            var g = Schema($$"""{"type":"number","minimum":{{lo}},"maximum":{{hi}}}""");
            decimal dlo = decimal.Parse(lo, CultureInfo.InvariantCulture), dhi = decimal.Parse(hi, CultureInfo.InvariantCulture);
            for (int i = 0; i < 400; i++)
            {
                decimal v = Math.Round((decimal)(rng.NextDouble() * 240 - 120) / (decimal)Math.Pow(10, rng.Next(0, 5)), rng.Next(0, 8));
                string text = v.ToString(CultureInfo.InvariantCulture);
                if (text.StartsWith("-0", StringComparison.Ordinal) && v == 0) continue;
                Assert.True(Accepts(g, text) == (v >= dlo && v <= dhi), $"{text} in [{lo}, {hi}]");
            }
        }
    }
}
