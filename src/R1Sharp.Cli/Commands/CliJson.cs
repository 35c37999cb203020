using System.Text.Encodings.Web;
using System.Text.Json;

namespace R1Sharp.Cli.Commands;

/// <summary>How the CLI writes JSON: UTF-8 text as it is ("12 + 7", "é"), not \u002B escapes meant for HTML pages.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
