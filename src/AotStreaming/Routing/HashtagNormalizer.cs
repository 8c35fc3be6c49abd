using System.Globalization;
using System.Text;

namespace AotStreaming.Routing;

/// <summary>
/// Turns a client's <c>tag</c> parameter into the name used in <c>timeline:hashtag:&lt;name&gt;</c>, with the same
/// result as upstream streaming (reference §5.3): NFKC, JavaScript <c>toLowerCase()</c>, Rails' ASCII folding table,
/// then removal of everything but letters, numbers, <c>_</c>, U+00B7 and U+200C.
/// </summary>
internal static class HashtagNormalizer
{
    // Same index, same length: the character at i in the first string folds to the character at i in the second.
    private const string NonAsciiChars =
        "ÀÁÂÃÄÅàáâãäåĀāĂăĄąÇçĆćĈĉĊċČčÐðĎďĐđÈÉÊËèéêëĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħÌÍÎÏìíîïĨĩĪīĬĭĮįİıĴĵĶķĸĹĺĻļĽľĿŀŁłÑñŃńŅņŇňŉŊŋÒÓÔÕÖØòóôõöøŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšſŢţŤťŦŧÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲųŴŵÝýÿŶŷŸŹźŻżŽž";

    private const string EquivalentAsciiChars =
        "AAAAAAaaaaaaAaAaAaCcCcCcCcCcDdDdDdEEEEeeeeEeEeEeEeEeGgGgGgGgHhHhIIIIiiiiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnNnnNnOOOOOOooooooOoOoOoRrRrRrSsSsSsSssTtTtTtUUUUuuuuUuUuUuUuUuUuWwYyyYyYZzZzZz";

    private const int CapitalSigma = 0x03A3;

    public static string Normalize(string tag)
    {
        var normalized = UnicodeNfkc.Normalize(tag);
        var lowered = ToLowerLikeJavaScript(normalized);
        var sb = new StringBuilder(lowered.Length);
        for (var i = 0; i < lowered.Length; i++)
        {
            var c = lowered[i];
            var fold = c >= 0xC0 ? NonAsciiChars.IndexOf(c, StringComparison.Ordinal) : -1;
            if (fold >= 0)
            {
                c = EquivalentAsciiChars[fold];
            }

            if (char.IsHighSurrogate(c) && i + 1 < lowered.Length && char.IsLowSurrogate(lowered[i + 1]))
            {
                if (IsKept(char.ConvertToUtf32(c, lowered[i + 1])))
                {
                    sb.Append(c).Append(lowered[i + 1]);
                }

                i++;
            }
            else if (IsKept(c))
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>The class <c>[\p{L}\p{N}_\u00b7\u200c]</c> with the <c>u</c> flag; lone surrogates are not kept.</summary>
    private static bool IsKept(int cp)
    {
        if (cp is '_' or 0x00B7 or 0x200C)
        {
            return true;
        }

        if (cp is >= 0xD800 and <= 0xDFFF)
        {
            return false;
        }

        return CharUnicodeInfo.GetUnicodeCategory(cp) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => true,
            _ => false,
        };
    }

    /// <summary>
    /// <c>String.prototype.toLowerCase()</c>: full, locale-independent mapping. Unlike <c>ToLowerInvariant()</c> it
    /// turns U+0130 into <c>i</c> + U+0307 and a word-final capital sigma into <c>ς</c>.
    /// </summary>
    internal static string ToLowerLikeJavaScript(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            var width = 1;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cp = char.ConvertToUtf32(text[i], text[i + 1]);
                width = 2;
            }

            if (cp == CapitalSigma)
            {
                sb.Append(IsFinalSigma(text, i) ? 'ς' : 'σ');
            }
            else if (cp < 'A' || (cp > 'Z' && cp < 0xC0))
            {
                sb.Append((char)cp);
            }
            else
            {
                var index = HashtagUnicodeData.LowerCaseKeys.BinarySearch(cp);
                if (index >= 0)
                {
                    var offsets = HashtagUnicodeData.LowerCaseOffsets;
                    sb.Append(HashtagUnicodeData.LowerCaseText.AsSpan(offsets[index], offsets[index + 1] - offsets[index]));
                }
                else
                {
                    sb.Append(text, i, width);
                }
            }

            i += width - 1;
        }

        return sb.ToString();
    }

    /// <summary>
    /// Unicode's Final_Sigma condition: a cased letter (then any case-ignorables) before, and no cased letter
    /// (after any case-ignorables) after.
    /// </summary>
    private static bool IsFinalSigma(string text, int sigmaIndex)
    {
        var before = false;
        for (var i = sigmaIndex; i > 0;)
        {
            var cp = CodePointBefore(text, ref i);
            if (IsIn(HashtagUnicodeData.CaseIgnorableRanges, cp))
            {
                continue;
            }

            before = IsIn(HashtagUnicodeData.CasedRanges, cp);
            break;
        }

        if (!before)
        {
            return false;
        }

        for (var i = sigmaIndex + 1; i < text.Length;)
        {
            var cp = CodePointAt(text, ref i);
            if (IsIn(HashtagUnicodeData.CaseIgnorableRanges, cp))
            {
                continue;
            }

            return !IsIn(HashtagUnicodeData.CasedRanges, cp);
        }

        return true;
    }

    private static int CodePointAt(string text, ref int i)
    {
        if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            i += 2;
            return char.ConvertToUtf32(text[i - 2], text[i - 1]);
        }

        return text[i++];
    }

    private static int CodePointBefore(string text, ref int i)
    {
        if (char.IsLowSurrogate(text[i - 1]) && i >= 2 && char.IsHighSurrogate(text[i - 2]))
        {
            i -= 2;
            return char.ConvertToUtf32(text[i], text[i + 1]);
        }

        return text[--i];
    }

    /// <summary>Whether <paramref name="cp"/> falls in one of the inclusive (start, end) pairs.</summary>
    private static bool IsIn(ReadOnlySpan<int> ranges, int cp)
    {
        int lo = 0, hi = (ranges.Length / 2) - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (cp < ranges[mid * 2])
            {
                hi = mid - 1;
            }
            else if (cp > ranges[(mid * 2) + 1])
            {
                lo = mid + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }
}
