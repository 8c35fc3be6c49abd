using System.Buffers;
using System.Text;
using System.Text.Json;

namespace AotStreaming.Serialization;

/// <summary>
/// The one writer of JSON string literals (quotes included), escaping as Node's <c>JSON.stringify</c> does: only
/// <c>"</c>, <c>\</c> and control characters are escaped; every other character (non-ASCII and emoji, <c>&lt;</c>,
/// <c>&amp;</c>, DEL) stays literal. The built-in encoders, even <c>UnsafeRelaxedJsonEscaping</c>, escape emoji and
/// some other characters, so they are not used for text a client compares with upstream's.
/// Byte input must be valid UTF-8 (Decoding's <c>Utf8Sanitizer</c> turns invalid sequences into U+FFFD before any
/// payload gets here); a <see cref="string"/> is written as UTF-8, so a lone surrogate becomes U+FFFD. Upstream's
/// <c>JSON.stringify</c> would write a <c>\udXXX</c> escape, but no string written here can hold one: stream names
/// pass Endpoints' <c>LoneSurrogateEscapes</c> (U+FFFD, as on upstream's way to Redis), and filter titles, contexts
/// and keywords come from PostgreSQL, which stores only valid UTF-8 (a keyword match is text equal to a keyword).
/// </summary>
internal static class JsonStringLiteral
{
    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    // The bytes that are escaped: control characters, the quote and the backslash.
    private static readonly SearchValues<byte> s_escaped = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, (byte)'"', (byte)'\\']);

    /// <summary>Writes <paramref name="utf8"/> (valid UTF-8) as a quoted, escaped JSON string.</summary>
    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> utf8)
    {
        var length = EscapedLength(utf8) + 2;
        var span = writer.GetSpan(length);
        span[0] = (byte)'"';
        WriteEscaped(span[1..], utf8);
        span[length - 1] = (byte)'"';
        writer.Advance(length);
    }

    /// <summary>
    /// The length of <paramref name="utf8"/> escaped, without quotes. With <see cref="WriteEscaped"/> a frame can be
    /// allocated at its final size and written once: a 20 MB status then costs one array per frame, not a growing
    /// buffer and a copy of it.
    /// </summary>
    public static int EscapedLength(ReadOnlySpan<byte> utf8)
    {
        var length = utf8.Length;
        var at = 0;
        int next;
        while ((next = utf8[at..].IndexOfAny(s_escaped)) >= 0)
        {
            at += next;
            length += utf8[at] switch
            {
                (byte)'"' or (byte)'\\' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)'\b' or (byte)'\f' => 1,
                _ => 5,
            };
            at++;
        }

        return length;
    }

    /// <summary>Writes <paramref name="utf8"/> escaped, without quotes, at the start of <paramref name="destination"/>
    /// (at least <see cref="EscapedLength"/> long); returns the bytes written.</summary>
    public static int WriteEscaped(Span<byte> destination, ReadOnlySpan<byte> utf8)
    {
        var pos = 0;
        int next;
        while ((next = utf8.IndexOfAny(s_escaped)) >= 0)
        {
            utf8[..next].CopyTo(destination[pos..]);
            pos += next;
            var b = utf8[next];
            utf8 = utf8[(next + 1)..];
            destination[pos++] = (byte)'\\';
            switch (b)
            {
                case (byte)'"': destination[pos++] = (byte)'"'; break;
                case (byte)'\\': destination[pos++] = (byte)'\\'; break;
                case (byte)'\n': destination[pos++] = (byte)'n'; break;
                case (byte)'\r': destination[pos++] = (byte)'r'; break;
                case (byte)'\t': destination[pos++] = (byte)'t'; break;
                case (byte)'\b': destination[pos++] = (byte)'b'; break;
                case (byte)'\f': destination[pos++] = (byte)'f'; break;
                default:
                    destination[pos++] = (byte)'u';
                    destination[pos++] = (byte)'0';
                    destination[pos++] = (byte)'0';
                    destination[pos++] = Hex[b >> 4];
                    destination[pos++] = Hex[b & 0xF];
                    break;
            }
        }

        utf8.CopyTo(destination[pos..]);
        return pos + utf8.Length;
    }

    /// <summary>The quoted, escaped JSON string of <paramref name="value"/> as UTF-8 bytes.</summary>
    public static byte[] Encode(string value)
    {
        var buffer = new ArrayBufferWriter<byte>(value.Length + 8);
        Write(buffer, Encoding.UTF8.GetBytes(value));
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes <paramref name="value"/> as the next JSON value of <paramref name="writer"/>.</summary>
    public static void Write(Utf8JsonWriter writer, string value) =>
        writer.WriteRawValue(Encode(value), skipInputValidation: true);
}
