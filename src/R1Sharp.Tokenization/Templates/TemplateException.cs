namespace R1Sharp.Tokenization.Templates;

/// <summary>A template that does not parse, or fails while rendering (including the template's own
/// <c>raise_exception(msg)</c>, whose message is kept as is).</summary>
public sealed class TemplateException(string message, Exception? inner = null) : Exception(R1Sharp.Gguf.MessageText.OneLine(message), inner);
