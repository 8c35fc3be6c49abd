using System.Buffers;
using System.Text.Json;

namespace AotStreaming.Serialization;

/// <summary>
/// Writes a JSON string the way Node's <c>JSON.stringify</c> does: only <c>"</c>, <c>\</c>, control characters
/// and lone surrogates are escaped, so non-ASCII text (emoji included) stays literal. The built-in encoders,
/// even <c>UnsafeRelaxedJsonEscaping</c>, escape emoji and some other characters.
/// </summary>
internal static class JsonStringLiteral
{
    public static void Write(Utf8JsonWriter writer, string value)
    {
        var rented = ArrayPool<char>.Shared.Rent((value.Length * 6) + 2);
        try
        {
            var length = Escape(value, rented);
            writer.WriteRawValue(rented.AsSpan(0, length), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>Writes <paramref name="value"/> as a quoted JSON string into <paramref name="destination"/> (6 chars per input char suffice).</summary>
    public static int Escape(ReadOnlySpan<char> value, Span<char> destination)
    {
        var n = 0;
        destination[n++] = '"';
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"':
                    destination[n++] = '\\';
                    destination[n++] = '"';
                    continue;
                case '\\':
                    destination[n++] = '\\';
                    destination[n++] = '\\';
                    continue;
                case '\b':
                    destination[n++] = '\\';
                    destination[n++] = 'b';
                    continue;
                case '\f':
                    destination[n++] = '\\';
                    destination[n++] = 'f';
                    continue;
                case '\n':
                    destination[n++] = '\\';
                    destination[n++] = 'n';
                    continue;
                case '\r':
                    destination[n++] = '\\';
                    destination[n++] = 'r';
                    continue;
                case '\t':
                    destination[n++] = '\\';
                    destination[n++] = 't';
                    continue;
            }

            var lone = char.IsSurrogate(c)
                && !(char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(value[i - 1]));
            if (c < 0x20 || lone)
            {
                destination[n++] = '\\';
                destination[n++] = 'u';
                ((int)c).TryFormat(destination[n..], out _, "x4");
                n += 4;
            }
            else
            {
                destination[n++] = c;
            }
        }

        destination[n++] = '"';
        return n;
    }
}
