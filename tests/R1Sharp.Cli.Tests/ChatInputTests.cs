using R1Sharp.Cli.Commands;

namespace R1Sharp.Cli.Tests;

public class ChatInputTests
{
    [Theory]
    [InlineData("/help", ChatInput.Kind.Help)]
    [InlineData("  /HELP  ", ChatInput.Kind.Message)] // a leading space sends the line to the model
    [InlineData("/?", ChatInput.Kind.Help)]
    [InlineData("/reset", ChatInput.Kind.Reset)]
    [InlineData("/clear now", ChatInput.Kind.Reset)]
    [InlineData("/exit", ChatInput.Kind.Exit)]
    [InlineData("/quit", ChatInput.Kind.Exit)]
    [InlineData("/helpme", ChatInput.Kind.Unknown)]
    [InlineData("/", ChatInput.Kind.Unknown)]
    [InlineData("what is 2/3?", ChatInput.Kind.Message)]
    [InlineData("   ", ChatInput.Kind.Empty)]
    [InlineData("", ChatInput.Kind.Empty)]
    public void LinesAreMessagesOrTheChatsOwnCommands(string line, ChatInput.Kind kind) => Assert.Equal(kind, ChatInput.Parse(line).What);

    [Fact]
    public void TheHelpListsEveryCommand()
    {
        foreach (string c in new[] { "/help", "/reset", "/exit", "Ctrl-C" }) Assert.Contains(c, ChatInput.Help);
        Assert.Equal("/frobnicate", ChatInput.Parse("/Frobnicate x").Text);
    }
}
