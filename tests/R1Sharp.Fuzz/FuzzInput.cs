namespace R1Sharp.Fuzz;

/// <summary>One generated case: the bytes (a GGUF file) or text (a template, a string to encode) a target runs on,
/// with a short description of how it was made. Saved to disk when it finds something.</summary>
public sealed record FuzzInput(string Description, byte[]? Bytes = null, string? Text = null, int[]? Ids = null, int Variant = 0);
