namespace R1Sharp.Tokenization;

/// <summary>GGUF <c>tokenizer.ggml.token_type</c> values (llama.cpp's llama_token_type).</summary>
public enum TokenType
{
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
