using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using R1Sharp.Gguf;
using R1Sharp.Inference;
using R1Sharp.Inference.Batching;
using R1Sharp.Server.Api;

namespace R1Sharp.Server.Ollama;

/// <summary>What Ollama's /api/tags, /api/ps and /api/show say about the served model, read once from its GGUF header
/// (architecture, size label, file type, chat template). An engine without a file (tests) gets "unknown" fields.</summary>
internal sealed record OllamaModelInfo(string Path, long Size, string Digest, string? ModifiedAt, string Template,
    OllamaModelDetails Details, Dictionary<string, JsonElement> ModelInfo)
{
    private static readonly ConditionalWeakTable<IGenerationEngine, OllamaModelInfo> Cache = new();

    public static OllamaModelInfo Get(HttpContext context, IGenerationEngine engine) =>
        Cache.GetValue(engine, e => Read(context.RequestServices.GetRequiredService<ServerOptions>(), e));

    private static OllamaModelInfo Read(ServerOptions options, IGenerationEngine engine)
    {
        string? path = null;
        try
        {
            path = options.EngineFactory is null || options.ModelPath is not null ? DefaultModel.Resolve(options.ModelPath) : null;
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or FileNotFoundException)
        {
            // no file to describe
        }
        var info = new Dictionary<string, JsonElement>();
        string family = "unknown", sizeLabel = "unknown", quantization = "unknown", template = "";
        long size = 0;
        string? modified = null;
        if (path is not null && File.Exists(path))
        {
            var file = new FileInfo(path);
            size = file.Length;
            modified = file.LastWriteTimeUtc.ToString("o", CultureInfo.InvariantCulture);
            try
            {
                using var gguf = GgufFile.Open(path);
                family = gguf.GetString("general.architecture") ?? family;
                sizeLabel = gguf.GetString("general.size_label") ?? sizeLabel;
                if (gguf.GetInteger("general.file_type") is long fileType) quantization = FileType(fileType);
                template = gguf.GetString("tokenizer.chat_template") ?? "";
                info["general.architecture"] = JsonSerializer.SerializeToElement(family, ServerJsonContext.Default.String);
                if (gguf.GetString("general.name") is { } name) info["general.name"] = JsonSerializer.SerializeToElement(name, ServerJsonContext.Default.String);
                if (gguf.GetInteger(family + ".context_length") is long ctx)
                    info[family + ".context_length"] = JsonSerializer.SerializeToElement(ctx, ServerJsonContext.Default.Int64);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException)
            {
                // an unreadable header: the fields stay unknown
            }
        }
        string digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{engine.ModelName}|{path}|{size}|{modified}")));
        var details = new OllamaModelDetails { Family = family, Families = [family], ParameterSize = sizeLabel, QuantizationLevel = quantization };
        return new OllamaModelInfo(path ?? engine.ModelName, size, digest, modified, template, details, info);
    }

    // llama.cpp's LLAMA_FTYPE values for the common types.
    private static string FileType(long type) => type switch
    {
        0 => "F32", 1 => "F16", 2 => "Q4_0", 3 => "Q4_1", 7 => "Q8_0", 8 => "Q5_0", 9 => "Q5_1", 10 => "Q2_K", 11 => "Q3_K_S",
        12 => "Q3_K_M", 13 => "Q3_K_L", 14 => "Q4_K_S", 15 => "Q4_K_M", 16 => "Q5_K_S", 17 => "Q5_K_M", 18 => "Q6_K", 32 => "BF16",
        _ => type.ToString(CultureInfo.InvariantCulture),
    };
}
