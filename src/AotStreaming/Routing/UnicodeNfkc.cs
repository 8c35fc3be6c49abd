using System.Text;

namespace AotStreaming.Routing;

/// <summary>
/// Unicode normalisation form KC, in managed code. Needed because the server runs with InvariantGlobalization,
/// where <see cref="string.Normalize(NormalizationForm)"/> has no ICU behind it and returns full-width text
/// unchanged, while upstream's hashtag channels come from V8's (ICU) NFKC.
/// </summary>
internal static class UnicodeNfkc
{
    private const int HangulSBase = 0xAC00;
    private const int HangulLBase = 0x1100;
    private const int HangulVBase = 0x1161;
    private const int HangulTBase = 0x11A7;
    private const int HangulLCount = 19;
    private const int HangulVCount = 21;
    private const int HangulTCount = 28;
    private const int HangulNCount = HangulVCount * HangulTCount;
    private const int HangulSCount = HangulLCount * HangulNCount;

    public static string Normalize(string text)
    {
        if (Ascii.IsValid(text))
        {
            // No ASCII character decomposes or composes, so ASCII text is already in NFKC.
            return text;
        }

        var buffer = new List<int>(text.Length + 8);
        Decompose(text, buffer);
        ReorderMarks(buffer);
        var length = Compose(buffer);

        var sb = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            AppendCodePoint(sb, buffer[i]);
        }

        return sb.ToString();
    }

    private static void Decompose(string text, List<int> output)
    {
        for (var i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cp = char.ConvertToUtf32(text[i], text[i + 1]);
                i++;
            }

            // A lone surrogate stays as it is (code unit semantics, as in JavaScript).
            if (cp is >= HangulSBase and < HangulSBase + HangulSCount)
            {
                var s = cp - HangulSBase;
                output.Add(HangulLBase + (s / HangulNCount));
                output.Add(HangulVBase + (s % HangulNCount / HangulTCount));
                if (s % HangulTCount != 0)
                {
                    output.Add(HangulTBase + (s % HangulTCount));
                }

                continue;
            }

            var index = cp < 0xA0 ? -1 : HashtagUnicodeData.DecompositionKeys.BinarySearch(cp);
            if (index < 0)
            {
                output.Add(cp);
                continue;
            }

            var offsets = HashtagUnicodeData.DecompositionOffsets;
            var mapping = HashtagUnicodeData.DecompositionText.AsSpan(offsets[index], offsets[index + 1] - offsets[index]);
            for (var j = 0; j < mapping.Length; j++)
            {
                if (char.IsHighSurrogate(mapping[j]))
                {
                    output.Add(char.ConvertToUtf32(mapping[j], mapping[j + 1]));
                    j++;
                }
                else
                {
                    output.Add(mapping[j]);
                }
            }
        }
    }

    /// <summary>Canonical ordering: a stable sort of each run of non-starters by combining class.</summary>
    private static void ReorderMarks(List<int> buffer)
    {
        for (var i = 1; i < buffer.Count; i++)
        {
            var cc = CombiningClass(buffer[i]);
            if (cc == 0)
            {
                continue;
            }

            var j = i;
            while (j > 0 && CombiningClass(buffer[j - 1]) > cc)
            {
                (buffer[j - 1], buffer[j]) = (buffer[j], buffer[j - 1]);
                j--;
            }
        }
    }

    /// <summary>Canonical composition in place; returns the new length.</summary>
    private static int Compose(List<int> buffer)
    {
        if (buffer.Count == 0)
        {
            return 0;
        }

        var starterPos = 0;
        var starter = buffer[0];
        // A leading non-starter has no starter to join: block it (256 is above every combining class).
        var lastClass = CombiningClass(starter) == 0 ? 0 : 256;
        var write = 1;
        for (var read = 1; read < buffer.Count; read++)
        {
            var ch = buffer[read];
            var chClass = CombiningClass(ch);
            var composite = Composite(starter, ch);
            if (composite >= 0 && (lastClass < chClass || lastClass == 0))
            {
                buffer[starterPos] = composite;
                starter = composite;
                continue;
            }

            if (chClass == 0)
            {
                starterPos = write;
                starter = ch;
            }

            lastClass = chClass;
            buffer[write++] = ch;
        }

        return write;
    }

    private static int Composite(int first, int second)
    {
        if (first is >= HangulLBase and < HangulLBase + HangulLCount && second is >= HangulVBase and < HangulVBase + HangulVCount)
        {
            return HangulSBase + ((((first - HangulLBase) * HangulVCount) + (second - HangulVBase)) * HangulTCount);
        }

        if (first is >= HangulSBase and < HangulSBase + HangulSCount && (first - HangulSBase) % HangulTCount == 0
            && second is > HangulTBase and < HangulTBase + HangulTCount)
        {
            return first + (second - HangulTBase);
        }

        var index = HashtagUnicodeData.CompositionKeys.BinarySearch(((long)first << 21) | (uint)second);
        return index >= 0 ? HashtagUnicodeData.CompositionValues[index] : -1;
    }

    private static int CombiningClass(int cp)
    {
        if (cp < 0x300)
        {
            return 0;
        }

        var index = HashtagUnicodeData.CombiningClassKeys.BinarySearch(cp);
        return index >= 0 ? HashtagUnicodeData.CombiningClassValues[index] : 0;
    }

    internal static void AppendCodePoint(StringBuilder sb, int cp)
    {
        if (cp < 0x10000)
        {
            sb.Append((char)cp);
        }
        else
        {
            sb.Append((char)(0xD800 + ((cp - 0x10000) >> 10))).Append((char)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
        }
    }
}
