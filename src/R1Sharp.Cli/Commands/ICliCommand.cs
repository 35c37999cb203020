using System.CommandLine;

namespace R1Sharp.Cli.Commands;

/// <summary>One top-level `r1` command. Every non-abstract implementation in this assembly is discovered
/// by <see cref="Program"/>, so adding a command is adding one file under Commands/.</summary>
internal interface ICliCommand
{
    /// <summary>Sort key in the help listing (lower first).</summary>
    int Order => 100;

    Command Build();
}
