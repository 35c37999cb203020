using System.CommandLine;
using System.Reflection;
using R1Sharp.Cli.Commands;

namespace R1Sharp.Cli;

internal static class Program
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
            return root.Parse(args).Invoke();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"r1: {e.Message}");
            return 1;
        }
    }
}
