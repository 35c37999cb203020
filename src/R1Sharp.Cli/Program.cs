using System.CommandLine;
using System.Reflection;
using System.Text.RegularExpressions;
using R1Sharp.Cli.Commands;

namespace R1Sharp.Cli;

public static partial class Program
{
    public static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static int Main(string[] args)
    {
        if (args is ["--version"])
        {
            Console.WriteLine($"r1 {Version}");
            return 0;
        }
        var root = new RootCommand("r1: run, serve, train and evaluate DeepSeek-R1-style reasoning models in pure C#");
        var commands = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (ICliCommand)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Order).ThenBy(c => c.GetType().Name);
        foreach (var c in commands) root.Subcommands.Add(c.Build());
        try
        {
            if (args.Length == 0)
            {
                root.Parse(["--help"]).Invoke();
                return 1;
            }
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0) return ParseErrors(parsed);
            return parsed.Invoke();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"r1: {e.Message}");
            return 1;
        }
    }

    /// <summary>Bad arguments: one line each, in words rather than .NET type names, and where to find the options
    /// (instead of System.CommandLine's message followed by the whole help text).</summary>
    private static int ParseErrors(ParseResult parsed)
    {
        string command = string.Join(' ', parsed.CommandResult.Command.Parents.OfType<Command>().Reverse()
            .Where(c => c is not RootCommand).Select(c => c.Name).Append(parsed.CommandResult.Command.Name)
            .Where(n => n != parsed.RootCommandResult.Command.Name));
        string prefix = command.Length == 0 ? "r1" : $"r1 {command}";
        // "Required command was not provided" says nothing more when the command given was not recognized
        var errors = parsed.Errors.Count > 1 ? parsed.Errors.Where(e => !e.Message.StartsWith("Required command", StringComparison.Ordinal)) : parsed.Errors;
        foreach (var error in errors) Console.Error.WriteLine($"{prefix}: {Humanize(error.Message)}");
        Console.Error.WriteLine($"('{prefix} --help' lists the options)");
        return 1;
    }

    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for (?<kind>option|argument) '(?<name>[^']*)' as expected type '(?<type>[^']*)'\.")]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"System\.[A-Za-z0-9_.`\[\], ]+")]
    private static partial Regex TypeName();

    /// <summary>System.CommandLine's messages with the expected type said in words.</summary>
    internal static string Humanize(string message)
    {
        message = CannotParse().Replace(message, m =>
            $"'{m.Groups["value"].Value}' is not a valid value for {m.Groups["name"].Value}: expected {TypeInWords(m.Groups["type"].Value)}");
        return TypeName().Replace(message, m => TypeInWords(m.Value));
    }

    private static string TypeInWords(string type)
    {
        var nullable = Regex.Match(type, @"^System\.Nullable`1\[(.+)\]$");
        if (nullable.Success) type = nullable.Groups[1].Value;
        bool list = type.StartsWith("System.Collections.Generic.List`1[", StringComparison.Ordinal) || type.EndsWith("[]", StringComparison.Ordinal);
        if (list) type = Regex.Replace(type, @"^System\.Collections\.Generic\.List`1\[(.+)\]$|\[\]$", "$1");
        string word = type switch
        {
            "System.Int32" or "System.Int64" or "System.Int16" or "System.UInt32" or "System.UInt64" or "System.Byte" => "a whole number",
            "System.Single" or "System.Double" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            "System.String" => "text",
            _ => "a value of type " + type[(type.LastIndexOf('.') + 1)..],
        };
        return list ? $"one or more values ({word})" : word;
    }
}
