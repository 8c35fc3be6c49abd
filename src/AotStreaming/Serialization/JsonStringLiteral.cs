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

    /// <summary>Writes <paramref name="utf8"/> (valid UTF-8) as a quoted, escaped JSON string.</summary>
    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> utf8)
    {
        var span = writer.GetSpan(utf8.Length + 2 + (utf8.Length / 8));
        var pos = 0;
        span[pos++] = (byte)'"';
        foreach (var b in utf8)
        {
            if (span.Length - pos < 8)
            {
                writer.Advance(pos);
                span = writer.GetSpan(Math.Max(64, utf8.Length));
                pos = 0;
            }

            if (b >= 0x20 && b != '"' && b != '\\')
            {
                span[pos++] = b;
                continue;
            }

            span[pos++] = (byte)'\\';
            switch (b)
            {
                case (byte)'"': span[pos++] = (byte)'"'; break;
                case (byte)'\\': span[pos++] = (byte)'\\'; break;
                case (byte)'\n': span[pos++] = (byte)'n'; break;
                case (byte)'\r': span[pos++] = (byte)'r'; break;
                case (byte)'\t': span[pos++] = (byte)'t'; break;
                case (byte)'\b': span[pos++] = (byte)'b'; break;
                case (byte)'\f': span[pos++] = (byte)'f'; break;
                default:
                    span[pos++] = (byte)'u';
                    span[pos++] = (byte)'0';
                    span[pos++] = (byte)'0';
                    span[pos++] = Hex[b >> 4];
                    span[pos++] = Hex[b & 0xF];
                    break;
            }
        }

        if (span.Length - pos < 1)
        {
            writer.Advance(pos);
            span = writer.GetSpan(1);
            pos = 0;
        }

        span[pos++] = (byte)'"';
        writer.Advance(pos);
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
