namespace R1Sharp.Models;

/// <summary>A model file the engine cannot run: unsupported architecture, a missing, unknown or misshapen tensor,
/// missing hyperparameters. The message names the file and the problem.</summary>
public sealed class ModelFormatException(string path, string message) : Exception($"{path}: {Gguf.MessageText.OneLine(message)}")
{
    public string FilePath { get; } = path;
}
