namespace R1Sharp.Cli.Commands;

/// <summary>What a line typed in `r1 chat` asks for: a message for the model, or one of the chat's own commands. A
/// line starting with '/' is a command (an unknown one is reported, never sent to the model); start the line with a
/// space to send a message that begins with '/'.</summary>
public sealed record ChatInput(ChatInput.Kind What, string Text)
{
    public enum Kind { Empty, Message, Help, Reset, Exit, Unknown }

    public const string Help = """
        Type a message and press Enter. While the model answers, Ctrl-C stops the answer (the conversation is kept);
        Ctrl-C at the prompt (or Ctrl-D) exits.
          /help          this help
          /reset         start a new conversation (/clear)
          /exit          quit (/quit)
        Start a line with a space to send a message that begins with '/'.
        """;

    public static ChatInput Parse(string line)
    {
        if (line.Trim().Length == 0) return new ChatInput(Kind.Empty, "");
        if (!line.StartsWith('/')) return new ChatInput(Kind.Message, line);
        string command = line.Trim().Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0].ToLowerInvariant();
        var what = command switch
        {
            "/help" or "/?" => Kind.Help,
            "/reset" or "/clear" => Kind.Reset,
            "/exit" or "/quit" or "/bye" => Kind.Exit,
            _ => Kind.Unknown,
        };
        return new ChatInput(what, command);
    }
}
