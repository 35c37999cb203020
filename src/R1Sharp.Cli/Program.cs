using System.Reflection;

namespace R1Sharp.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["--version"])
        {
            Console.WriteLine($"r1 {Assembly.GetExecutingAssembly().GetName().Version?.ToString(3)}");
            return 0;
        }
        Console.Error.WriteLine("usage: r1 <command> [options]");
        return 2;
    }
}
