namespace R1Sharp.Cli.Commands;

/// <summary>Runs a command's action so that any failure (a missing or malformed model, a bad argument) ends as one
/// line on stderr and exit code 1, never a stack trace.</summary>
internal static class CommandGuard
{
    public static int Run(string command, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"r1 {command}: {e.Message}");
            return 1;
        }
    }
}
