using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AotStreaming.Filtering;

/// <summary>
/// Reads a JSON string token, keeping lone surrogate escapes (<c>"\ud83d"</c>) as JSON.parse does;
/// <see cref="Utf8JsonReader.GetString"/> throws on them.
/// </summary>
internal static class JsonStringValue
{
    public static string Read(ref Utf8JsonReader reader)
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
