using System.CommandLine;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Cli.Commands;

/// <summary>The generation options `r1 run`, `r1 chat` and `r1 eval` share. Unset options are null, so a request from
/// the CLI gets the engine's defaults exactly as an API request that leaves the fields out (docs/thinking.md); values
/// are checked by <see cref="GenerationParameters.Validate"/> with the options' names in the messages.</summary>
internal sealed class GenerationOptions
{
    private static readonly R1Sharp.Inference.Sampling.SamplingOptions Defaults = new();

    private static readonly Dictionary<string, string> OptionNames = new()
    {
        ["temperature"] = "--temp", ["top_p"] = "--top-p", ["top_k"] = "--top-k", ["min_p"] = "--min-p",
        ["repeat_penalty"] = "--repeat-penalty", ["max_tokens"] = "--max-tokens", ["thinking_budget"] = "--thinking-budget",
    };

    public Option<int?> MaxTokens { get; }
    public Option<float?> Temperature { get; } = new("--temp") { Description = $"Temperature (0 = greedy; default {Defaults.Temperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}, R1's recommendation)" };
    public Option<float?> TopP { get; } = new("--top-p") { Description = $"Nucleus sampling (default {Defaults.TopP.ToString(System.Globalization.CultureInfo.InvariantCulture)})" };
    public Option<int?> TopK { get; } = new("--top-k") { Description = "Keep the k most likely tokens (default off)" };
    public Option<float?> MinP { get; } = new("--min-p") { Description = "Drop tokens below min-p times the best one's probability (default off)" };
    public Option<float?> RepeatPenalty { get; } = new("--repeat-penalty") { Description = "Repetition penalty over the last 64 tokens (default 1 = off)" };
    public Option<ulong?> Seed { get; }
    public Option<int?> ThinkingBudget { get; } = new("--thinking-budget") { Description = "Most thinking tokens before the answer is forced (0 = no thinking; default unlimited)" };
    public Option<string[]> Stop { get; } = new("--stop") { Description = "Stop string (repeatable)", AllowMultipleArgumentsPerToken = false };
    public Option<bool> IgnoreEos { get; } = new("--ignore-eos") { Description = "Never stop at an end-of-generation token (runs to -n or the context)" };

    /// <param name="maxTokensDefault">-n when not given (null = until the context is full, as the API).</param>
    /// <param name="seedDefault">--seed when not given (null = a random seed).</param>
    public GenerationOptions(int? maxTokensDefault = null, ulong? seedDefault = null)
    {
        MaxTokens = new("-n", "--max-tokens")
        {
            Description = maxTokensDefault is int n ? $"Most tokens to generate (default {n})" : "Most tokens to generate (default: until the context is full)",
        };
        if (maxTokensDefault is int d) MaxTokens.DefaultValueFactory = _ => d;
        Seed = new("--seed") { Description = seedDefault is ulong s ? $"Random seed (same seed, same output; default {s})" : "Random seed (same seed, same output; default random)" };
        if (seedDefault is ulong sd) Seed.DefaultValueFactory = _ => sd;
    }

    public IEnumerable<Option> All => [MaxTokens, Temperature, TopP, TopK, MinP, RepeatPenalty, Seed, ThinkingBudget, Stop, IgnoreEos];

    /// <summary>The parameters the command line asks for; throws <see cref="GenerationParameterException"/> (message
    /// naming the option) when one is out of range.</summary>
    public GenerationParameters Read(ParseResult parse)
    {
        var parameters = new GenerationParameters
        {
            MaxTokens = parse.GetValue(MaxTokens),
            Temperature = parse.GetValue(Temperature),
            TopP = parse.GetValue(TopP),
            TopK = parse.GetValue(TopK),
            MinP = parse.GetValue(MinP),
            RepetitionPenalty = parse.GetValue(RepeatPenalty),
            Seed = parse.GetValue(Seed),
            ThinkingBudget = parse.GetValue(ThinkingBudget),
            Stop = parse.GetValue(Stop) ?? [],
            IgnoreEos = parse.GetValue(IgnoreEos),
        };
        parameters.Validate(field => OptionNames.GetValueOrDefault(field, field));
        return parameters;
    }
}
