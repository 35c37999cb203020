using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Tokenization.Tests.Templates;

/// <summary>What the fuzz harness (tests/R1Sharp.Fuzz, bench/fuzz) found in the lexer and parser: each was an exception
/// other than a TemplateException, or an error message spanning lines.</summary>
public class FuzzFoundTemplateTests
{
    private static string Error(string source) =>
        Assert.Throws<TemplateException>(() => new JinjaTemplate(source).Render(new Dictionary<string, object?>())).Message;

    [Theory]
    [InlineData("{{ 0x }}", "invalid integer literal '0x'")]                       // was ArgumentOutOfRangeException (Convert.ToInt64 of "")
    [InlineData("{{ 0b12 }}", "invalid integer literal '0b12'")]                   // was FormatException
    [InlineData("{{ 0o9 }}", "invalid integer literal '0o9'")]
    [InlineData("{{ 0xFFFFFFFFFFFFFFFFFF }}", "beyond 64 bits")]                   // was OverflowException
    [InlineData("{{ 99999999999999999999 }}", "beyond 64 bits")]                   // was OverflowException
    [InlineData("{{ ৮ }}", "line 1")]                                              // a Bengali digit: was FormatException from long.Parse
    public void NumberLiteralsFailCleanly(string source, string expected) => Assert.Contains(expected, Error(source));

    [Fact]
    public void NumberLiteralsStillParse() =>
        Assert.Equal("255 8 5 1000000 9223372036854775807 1.5",
            new JinjaTemplate("{{ 0xff }} {{ 0o10 }} {{ 0b101 }} {{ 1_000_000 }} {{ 9223372036854775807 }} {{ 1.5 }}").Render(new Dictionary<string, object?>()));

    [Fact]
    public void ErrorMessagesStayOnOneLine()
    {
        // the unexpected token was a multi-line string literal, shown whole
        string message = Error("{{ x 'a\n\nb' }}");
        Assert.DoesNotContain('\n', message);
        Assert.Contains("expected '}}', got 'a\\n\\nb'", message);   // the token kind in words, not the enum's name
        Assert.DoesNotContain('\n', Error("{{ raise_exception('two\nlines') }}"));
        Assert.True(Error("{{ x " + new string('y', 5000) + " z }}").Length < 200);
    }
}
