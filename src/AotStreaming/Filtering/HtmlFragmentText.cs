using System.Text;

namespace AotStreaming.Filtering;

/// <summary>
/// The <c>textContent</c> of a string parsed as an HTML fragment, which is what upstream matches keyword filters
/// against (JSDOM, reference §6.7): tags, comments and doctypes dropped, character references decoded, the text of
/// every element kept (script and style included), the contents of <c>&lt;template&gt;</c> left out as the DOM
/// keeps them outside the tree. A tokenizer of the HTML5 states that matter for text, not a tree builder.
/// </summary>
internal static class HtmlFragmentText
{
    // Elements whose content the tokenizer reads as text up to their own end tag.
    private static readonly string[] s_rawTextElements = ["script", "style", "xmp", "iframe", "noembed", "noframes"];
    private static readonly string[] s_escapableRawTextElements = ["title", "textarea"];

    public static string ToText(string html)
    {
        // Input stream preprocessing: CR LF and lone CR become LF.
        if (html.Contains('\r', StringComparison.Ordinal))
        {
            html = html.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        }

        var sb = new StringBuilder(html.Length);
        var templateDepth = 0;
        var i = 0;
        while (i < html.Length)
        {
            var c = html[i];
            if (c == '&')
            {
                i = DecodeReference(html, i, templateDepth == 0 ? sb : null);
                continue;
            }

            if (c != '<' || i + 1 >= html.Length)
            {
                if (templateDepth == 0 && c != '\0')
                {
                    sb.Append(c);
                }

                i++;
                continue;
            }

            var next = html[i + 1];
            if (char.IsAsciiLetter(next))
            {
                i = ReadTag(html, i + 1, out var name);
                if (name is null)
                {
                    break; // EOF inside a tag drops the tag.
                }

                if (name == "template")
                {
                    templateDepth++;
                }
                else if (name == "plaintext")
                {
                    AppendIf(sb, templateDepth, html.AsSpan(i));
                    break;
                }
                else if (Array.IndexOf(s_rawTextElements, name) >= 0 || Array.IndexOf(s_escapableRawTextElements, name) >= 0)
                {
                    var end = FindEndTag(html, i, name);
                    if (Array.IndexOf(s_rawTextElements, name) >= 0)
                    {
                        AppendIf(sb, templateDepth, html.AsSpan(i, end - i));
                    }
                    else if (templateDepth == 0)
                    {
                        sb.Append(ToTextWithoutTags(html[i..end]));
                    }

                    i = end < html.Length ? ReadTag(html, end + 2, out _) : end;
                }
            }
            else if (next == '/')
            {
                if (i + 2 >= html.Length)
                {
                    AppendIf(sb, templateDepth, "</");
                    break;
                }

                var third = html[i + 2];
                if (char.IsAsciiLetter(third))
                {
                    i = ReadTag(html, i + 2, out var name);
                    if (name is null)
                    {
                        break;
                    }

                    if (name == "template" && templateDepth > 0)
                    {
                        templateDepth--;
                    }
                }
                else
                {
                    // "</>" is dropped; "</" + anything else opens a bogus comment.
                    i = third == '>' ? i + 3 : SkipPast(html, i + 2, '>');
                }
            }
            else if (next == '!')
            {
                i = string.CompareOrdinal(html, i + 2, "--", 0, 2) == 0 ? SkipComment(html, i + 4) : SkipPast(html, i + 2, '>');
            }
            else if (next == '?')
            {
                i = SkipPast(html, i + 1, '>');
            }
            else
            {
                AppendIf(sb, templateDepth, "<");
                i++;
            }
        }

        return sb.ToString();
    }

    private static void AppendIf(StringBuilder sb, int templateDepth, ReadOnlySpan<char> text)
    {
        if (templateDepth == 0)
        {
            sb.Append(text);
        }
    }

    /// <summary>RCDATA (title, textarea): references decoded, no tags.</summary>
    private static string ToTextWithoutTags(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length;)
        {
            if (text[i] == '&')
            {
                i = DecodeReference(text, i, sb);
            }
            else
            {
                sb.Append(text[i++]);
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Reads a start or end tag whose name starts at <paramref name="start"/>, attributes included (a quoted value may
    /// hold <c>&gt;</c>). Returns the index after <c>&gt;</c>, with the lower-cased name, or a null name at EOF.
    /// </summary>
    private static int ReadTag(string html, int start, out string? name)
    {
        var i = start;
        while (i < html.Length && html[i] is not ('\t' or '\n' or '\f' or ' ' or '/' or '>'))
        {
            i++;
        }

        var tagName = html[start..i].ToLowerInvariant();
        while (i < html.Length)
        {
            var c = html[i];
            if (c == '>')
            {
                name = tagName;
                return i + 1;
            }

            if (c is '\t' or '\n' or '\f' or ' ' or '/')
            {
                i++;
                continue;
            }

            // Attribute name (a leading '=' belongs to the name), then an optional value.
            i++;
            while (i < html.Length && html[i] is not ('\t' or '\n' or '\f' or ' ' or '/' or '>' or '='))
            {
                i++;
            }

            var j = i;
            while (j < html.Length && html[j] is '\t' or '\n' or '\f' or ' ')
            {
                j++;
            }

            if (j >= html.Length || html[j] != '=')
            {
                continue;
            }

            j++;
            while (j < html.Length && html[j] is '\t' or '\n' or '\f' or ' ')
            {
                j++;
            }

            if (j < html.Length && html[j] is '"' or '\'')
            {
                var close = html.IndexOf(html[j], j + 1);
                if (close < 0)
                {
                    break;
                }

                i = close + 1;
            }
            else
            {
                while (j < html.Length && html[j] is not ('\t' or '\n' or '\f' or ' ' or '>'))
                {
                    j++;
                }

                i = j;
            }
        }

        name = null;
        return html.Length;
    }

    /// <summary>Index of the <c>&lt;/name</c> that ends a raw-text element (followed by space, / or &gt;), or the end.</summary>
    private static int FindEndTag(string html, int start, string name)
    {
        var i = start;
        while ((i = html.IndexOf("</", i, StringComparison.Ordinal)) >= 0)
        {
            var after = i + 2 + name.Length;
            if (after < html.Length
                && string.Compare(html, i + 2, name, 0, name.Length, StringComparison.OrdinalIgnoreCase) == 0
                && html[after] is '\t' or '\n' or '\f' or ' ' or '/' or '>')
            {
                return i;
            }

            i += 2;
        }

        return html.Length;
    }

    /// <summary>A comment whose body starts at <paramref name="start"/>: ends at <c>--&gt;</c> or <c>--!&gt;</c>; <c>&lt;!--&gt;</c> and <c>&lt;!---&gt;</c> are empty.</summary>
    private static int SkipComment(string html, int start)
    {
        if (start < html.Length && html[start] == '>')
        {
            return start + 1;
        }

        if (start + 1 < html.Length && html[start] == '-' && html[start + 1] == '>')
        {
            return start + 2;
        }

        for (var i = start; i + 2 < html.Length; i++)
        {
            if (html[i] == '-' && html[i + 1] == '-')
            {
                if (html[i + 2] == '>')
                {
                    return i + 3;
                }

                if (html[i + 2] == '!' && i + 3 < html.Length && html[i + 3] == '>')
                {
                    return i + 4;
                }
            }
        }

        return html.Length;
    }

    private static int SkipPast(string html, int start, char c)
    {
        var end = html.IndexOf(c, start);
        return end < 0 ? html.Length : end + 1;
    }

    /// <summary>Decodes the character reference at <paramref name="amp"/> into <paramref name="sb"/> (if not null); returns the next index.</summary>
    private static int DecodeReference(string text, int amp, StringBuilder? sb)
    {
        var i = amp + 1;
        if (i < text.Length && text[i] == '#')
        {
            return DecodeNumeric(text, amp, sb);
        }

        while (i < text.Length && i - amp <= 32 && char.IsAsciiLetterOrDigit(text[i]))
        {
            i++;
        }

        var name = text.AsSpan(amp + 1, i - amp - 1);
        if (name.Length > 0 && i < text.Length && text[i] == ';' && NamedReference(name) is { } value)
        {
            sb?.Append(value);
            return i + 1;
        }

        // Without ';', only the legacy (HTML 4 Latin-1) names are recognised, longest prefix first.
        for (var length = Math.Min(name.Length, 6); length >= 2; length--)
        {
            if (HtmlLegacyNames.Contains(name[..length]) && NamedReference(name[..length]) is { } legacy)
            {
                sb?.Append(legacy);
                return amp + 1 + length;
            }
        }

        sb?.Append('&');
        return amp + 1;
    }

    /// <summary>Every HTML5 name (WHATWG list), not only the HTML 4 ones <c>WebUtility.HtmlDecode</c> knows.</summary>
    private static string? NamedReference(ReadOnlySpan<char> name) => HtmlNamedReferences.Get(name);

    private static int DecodeNumeric(string text, int amp, StringBuilder? sb)
    {
        var i = amp + 2;
        var hex = i < text.Length && text[i] is 'x' or 'X';
        if (hex)
        {
            i++;
        }

        var digitsStart = i;
        long value = 0;
        while (i < text.Length && (hex ? char.IsAsciiHexDigit(text[i]) : char.IsAsciiDigit(text[i])))
        {
            var digit = char.IsAsciiDigit(text[i]) ? text[i] - '0' : (text[i] | 0x20) - 'a' + 10;
            // Saturate: anything past U+10FFFF becomes U+FFFD whatever its length.
            value = Math.Min((value * (hex ? 16 : 10)) + digit, 0x110000);
            i++;
        }

        if (i == digitsStart)
        {
            // "&#" or "&#x" without digits is text.
            sb?.Append(text, amp, i - amp);
            return i;
        }

        if (i < text.Length && text[i] == ';')
        {
            i++;
        }

        if (sb is null)
        {
            return i;
        }

        var cp = (int)value;
        if (cp == 0 || cp > 0x10FFFF || cp is >= 0xD800 and <= 0xDFFF)
        {
            sb.Append('\uFFFD');
        }
        else if (cp is >= 0x80 and <= 0x9F && HtmlLegacyNames.Windows1252(cp) is var mapped && mapped != 0)
        {
            sb.Append(mapped);
        }
        else
        {
            sb.Append(char.ConvertFromUtf32(cp));
        }

        return i;
    }
}
