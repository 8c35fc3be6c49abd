using System.Buffers;

namespace AotStreaming.Serialization;

/// <summary>
/// Writes JSON string literals the way Node's <c>JSON.stringify</c> does: only <c>"</c>, <c>\</c> and control
/// characters are escaped; every other UTF-8 byte (non-ASCII, <c>&lt;</c>, <c>&amp;</c>) passes through. The input
/// is already validated UTF-8 (it came through <see cref="System.Text.Json.Utf8JsonReader"/>).
/// </summary>
internal static class JsonText
{
    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    public static void WriteString(IBufferWriter<byte> writer, ReadOnlySpan<byte> utf8)
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

    public static byte[] EncodeString(string value)
    {
        var buffer = new ArrayBufferWriter<byte>(value.Length + 8);
        WriteString(buffer, System.Text.Encoding.UTF8.GetBytes(value));
        return buffer.WrittenSpan.ToArray();
    }
}
