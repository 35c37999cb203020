using System.CommandLine;
using System.Globalization;

namespace R1Sharp.Cli.Commands;

/// <summary>Options several commands share, defined once so they read and validate the same everywhere.</summary>
internal static class CliOptions
{
    /// <summary>Most compute threads worth asking for: more than a few per core only adds contention (-t 100000 ran at
    /// 0.2 tokens/s).</summary>
    public static int MaxThreads => 4 * Environment.ProcessorCount;

    /// <summary>-t/--threads: compute threads, 1 to <see cref="MaxThreads"/>; null (absent) means all cores.</summary>
    public static Option<int?> Threads() => new("--threads", "-t")
    {
        Description = $"Compute threads, 1 to {MaxThreads} (default: all {Environment.ProcessorCount} cores)",
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int t))
                result.AddError($"-t/--threads expects a whole number, not '{text}'");
            else if (t < 1 || t > MaxThreads)
                result.AddError($"-t/--threads must be 1 to {MaxThreads} (4 per core on this machine of {Environment.ProcessorCount}), not {t}");
            else return t;
            return null;
        },
    };

    /// <summary>--kv-type: element type of the KV cache, f32 (default) or f16 (<see cref="Models.ModelLoadOptions.KvType"/>).</summary>
    public static Option<string> KvType()
    {
        var option = new Option<string>("--kv-type")
        {
            Description = "KV cache type: f32 (default) or f16 (half the memory and bytes streamed per token)",
            DefaultValueFactory = _ => "f32",
        };
        option.AcceptOnlyFromAmong("f16", "f32");
        return option;
    }
}
