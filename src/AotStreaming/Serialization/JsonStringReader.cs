using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AotStreaming.Serialization;

/// <summary>
/// The reading side of <see cref="JsonStringLiteral"/>: a JSON string token decoded as <c>JSON.parse</c> decodes
/// it, lone surrogate escapes (<c>"\ud83d"</c>) kept as lone surrogates, where
/// <see cref="Utf8JsonReader.GetString"/> throws on them. (Client commands take the other way, Endpoints'
/// <c>LoneSurrogateEscapes</c>, because there upstream's string goes to Redis as UTF-8 and so becomes U+FFFD.)
/// </summary>
internal static class JsonStringReader
{
    /// <summary>The current string token's text, lone surrogates kept.</summary>
    public static string ReadKeepingLoneSurrogates(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray();
            return Unescape(Encoding.UTF8.GetString(raw));
        }
    }

    private static string Unescape(string escaped)
    {
        var sb = new StringBuilder(escaped.Length);
        for (var i = 0; i < escaped.Length; i++)
        {
            var c = escaped[i];
            if (c != '\\' || i + 1 >= escaped.Length)
            {
                sb.Append(c);
                continue;
            }

            var e = escaped[++i];
            switch (e)
            {
                case 'b':
                    sb.Append('\b');
                    break;
                case 'f':
                    sb.Append('\f');
                    break;
                case 'n':
                    sb.Append('\n');
                    break;
                case 'r':
                    sb.Append('\r');
                    break;
                case 't':
                    sb.Append('\t');
                    break;
                case 'u' when i + 4 < escaped.Length:
                    sb.Append((char)int.Parse(escaped.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default:
                    sb.Append(e);
                    break;
            }
        }

        return sb.ToString();
    }
}
