namespace R1Sharp.Gguf;

/// <summary>A GGUF file that cannot be read: names the file and what is wrong with it.</summary>
public sealed class GgufFormatException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: {MessageText.OneLine(problem)}", inner)
{
    public string FilePath { get; } = path;
    public string Problem { get; } = MessageText.OneLine(problem);
}
