using System.Text.Json;
using R1Sharp.TestSupport;
using R1Sharp.Tokenization.Templates;

namespace R1Sharp.Tokenization.Tests.Templates;

/// <summary>Feature templates rendered by Python's jinja2 3.1.6 (tests/fixtures/templates/features.json, see the README
/// there): our output must be byte-identical, and where jinja2 raised we must raise too.</summary>
public class JinjaReferenceTests
{
    private static readonly JsonElement[] Cases = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("templates", "features.json")))
        .RootElement.EnumerateArray().ToArray();

    public static TheoryData<int, string> CaseIds()
    {
        var data = new TheoryData<int, string>();
        for (int i = 0; i < Cases.Length; i++) data.Add(i, Cases[i].GetProperty("name").GetString() + "/" + Cases[i].GetProperty("env").GetString());
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void RendersLikeJinja2(int index, string name)
    {
        var c = Cases[index];
        var options = c.GetProperty("env").GetString() == "transformers" ? JinjaOptions.Transformers : JinjaOptions.Jinja2Defaults;
        var vars = new Dictionary<string, object?>();
        foreach (var p in c.GetProperty("vars").EnumerateObject()) vars[p.Name] = JinjaTemplate.FromJson(p.Value);
        string source = c.GetProperty("template").GetString()!;
        Func<string> render = () => new JinjaTemplate(source, options) { Clock = () => new DateTime(2026, 11, 22, 9, 5, 7) }.Render(vars);
        if (c.TryGetProperty("expected", out var expected))
            Assert.Equal(expected.GetString(), render());
        else
        {
            var ex = Assert.Throws<TemplateException>(render);
            Assert.False(string.IsNullOrEmpty(ex.Message), name);
        }
    }

    [Fact]
    public void RaiseExceptionKeepsTheTemplatesMessage()
    {
        var ex = Assert.Throws<TemplateException>(() => new JinjaTemplate("{{ raise_exception('roles must alternate') }}").Render(new Dictionary<string, object?>()));
        Assert.Equal("roles must alternate", ex.Message);
    }

    [Fact]
    public void GenerationBlockRendersItsBody()
    {
        // transformers' {% generation %} (assistant-token tracking) is not in plain jinja2, so it is checked by hand.
        var t = new JinjaTemplate("{% for m in messages %}[{% generation %}{{ m }}{% endgeneration %}]{% endfor %}");
        Assert.Equal("[a][b]", t.Render(new Dictionary<string, object?> { ["messages"] = new List<object?> { "a", "b" } }));
    }

    [Fact]
    public void AttributeOfUndefinedIsUndefined()
    {
        // Deliberately more lenient than jinja2 (which raises): x.y and x['y'] on an undefined x render as "".
        var t = new JinjaTemplate("[{{ x.y }}{{ x['y'].z }}]{{ x.y is defined }}");
        Assert.Equal("[]False", t.Render(new Dictionary<string, object?>()));
    }

    [Fact]
    public void SandboxRefusesMutatingMethods()
    {
        var t = new JinjaTemplate("{% set l = [] %}{{ l.append(1) }}");
        Assert.Throws<TemplateException>(() => t.Render(new Dictionary<string, object?>()));
    }

    [Theory]
    [InlineData("{% if %}")]
    [InlineData("{{ 1 + }}")]
    [InlineData("{% for x in %}{% endfor %}")]
    [InlineData("{% endif %}")]
    [InlineData("{{ 'unterminated }}")]
    [InlineData("{# open comment")]
    [InlineData("{{ x ")]
    [InlineData("{% block b %}{% endblock %}")]
    public void MalformedTemplatesFailWithATemplateException(string source) =>
        Assert.Throws<TemplateException>(() => new JinjaTemplate(source).Render(new Dictionary<string, object?>()));
}
