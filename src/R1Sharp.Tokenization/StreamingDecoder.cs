using System.Text;

namespace R1Sharp.Tokenization;

/// <summary>
/// Turns a stream of token ids into text without ever splitting a UTF-8 character: bytes of a character that
/// continues in a later token are held back until it completes. Bytes that can never form a character are
/// emitted as U+FFFD.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _skipSpecial;
    private byte[] _pending = new byte[16];
    private int _count;

    public StreamingDecoder(Tokenizer tokenizer) : this(tokenizer, skipSpecial: false) { }

    /// <param name="tokenizer">the vocabulary the tokens come from</param>
    /// <param name="skipSpecial">drop control tokens' text (as <see cref="Tokenizer.Decode"/> does)</param>
    public StreamingDecoder(Tokenizer tokenizer, bool skipSpecial)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _skipSpecial = skipSpecial;
    }

    /// <summary>The text this token completes ("" while a character is still incomplete).</summary>
    public string Push(int id)
    {
        if (_skipSpecial && _tokenizer.IsSpecial(id)) return "";
        var bytes = _tokenizer.TokenBytes(id);
        if (_count + bytes.Length > _pending.Length) Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _count + bytes.Length));
        bytes.CopyTo(_pending.AsSpan(_count));
        _count += bytes.Length;
        int complete = CompleteLength(_pending.AsSpan(0, _count));
        if (complete == 0) return "";
        string text = Encoding.UTF8.GetString(_pending, 0, complete);
        _pending.AsSpan(complete, _count - complete).CopyTo(_pending);
        _count -= complete;
        return text;
    }

    /// <summary>Whatever is held back (an incomplete character becomes U+FFFD); the decoder is then empty.</summary>
    public string Flush()
    {
        string text = Encoding.UTF8.GetString(_pending, 0, _count);
        _count = 0;
        return text;
    }

    /// <summary>Length of the longest prefix that does not end inside a UTF-8 character that may still complete.</summary>
    internal static int CompleteLength(ReadOnlySpan<byte> b)
    {
        int n = b.Length;
        // find the last lead byte within the final 3 bytes
        for (int back = 1; back <= Math.Min(4, n); back++)
        {
            byte c = b[n - back];
            if ((c & 0xC0) == 0x80) continue; // continuation byte: keep looking for its lead
            int need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
            return back < need ? n - back : n; // a lead byte still waiting for continuation bytes is held back
        }
        return n;
    }
}
