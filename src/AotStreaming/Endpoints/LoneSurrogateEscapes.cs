namespace AotStreaming.Endpoints;

/// <summary>
/// <c>JSON.parse</c> accepts a <c>\uD800</c> escape with no partner; System.Text.Json parses it but throws when the
/// string is decoded. Such an escape is rewritten to <c>\uFFFD</c> (the same six bytes), which is also what the lone
/// surrogate becomes upstream as soon as Node writes the string out as UTF-8 (to Redis, to PostgreSQL).
/// </summary>
internal static class LoneSurrogateEscapes
{
    /// <summary>A copy with every unpaired surrogate escape replaced, or null when there is none (the usual case).</summary>
    public static byte[]? Replace(ReadOnlySpan<byte> json)
    {
        byte[]? copy = null;
        var i = json.IndexOf((byte)'\\');
        if (i < 0)
        {
            return null;
        }

        while (i < json.Length - 1)
        {
            if (json[i] != '\\')
            {
                i++;
                continue;
            }

            if (json[i + 1] != 'u' || !TryHex(json, i + 2, out var unit))
            {
                // Any other escape (\\, \", \n, ...) is two bytes; skipping both keeps "\\u" from looking like an escape.
                i += 2;
                continue;
            }

            if (char.IsHighSurrogate(unit) && TryHex(json, i + 8, out var next) && json[i + 6] == '\\' && json[i + 7] == 'u' && char.IsLowSurrogate(next))
            {
                i += 12;
                continue;
            }

            if (char.IsSurrogate(unit))
            {
                copy ??= json.ToArray();
                "FFFD"u8.CopyTo(copy.AsSpan(i + 2));
            }

            i += 6;
        }

        return copy;
    }

    private static bool TryHex(ReadOnlySpan<byte> json, int start, out char unit)
    {
        unit = '\0';
        if (start + 4 > json.Length)
        {
            return false;
        }

        var value = 0;
        foreach (var b in json.Slice(start, 4))
        {
            var digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | digit;
        }

        unit = (char)value;
        return true;
    }
}
