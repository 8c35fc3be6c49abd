using System.Text;
using System.Text.Json;
using AotStreaming.Serialization;

namespace AotStreaming.Filtering;

/// <summary>
/// The text a status's keyword filters are matched against, built as upstream builds it (reference §6.7):
/// spoiler text, content, poll option titles and media descriptions joined by blank lines, line breaks and
/// paragraph breaks turned into newlines, then the HTML reduced to its text.
/// </summary>
internal static class SearchableText
{
    /// <summary>Throws <see cref="JsonException"/> when the payload is not a well-formed JSON object.</summary>
    public static string Extract(ReadOnlySpan<byte> statusPayloadJson)
    {
        var reader = new Utf8JsonReader(statusPayloadJson);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A status payload must be a JSON object.");
        }

        string? spoilerText = null;
        string? content = null;
        List<string?>? pollTitles = null;
        List<string?>? descriptions = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // Later duplicates win, as with JSON.parse.
            if (reader.ValueTextEquals("spoiler_text"u8))
            {
                reader.Read();
                spoilerText = ReadText(ref reader);
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                content = ReadText(ref reader);
            }
            else if (reader.ValueTextEquals("poll"u8))
            {
                reader.Read();
                pollTitles = reader.TokenType == JsonTokenType.StartObject ? ReadPollTitles(ref reader) : SkipValue(ref reader);
            }
            else if (reader.ValueTextEquals("media_attachments"u8))
            {
                reader.Read();
                descriptions = ReadMember(ref reader, "description"u8);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        // Drains the rest so that trailing garbage is reported like any other malformed payload.
        while (reader.Read())
        {
        }

        var joined = new StringBuilder();
        joined.Append(string.IsNullOrEmpty(spoilerText) ? "" : spoilerText).Append("\n\n").Append(content);
        AppendAll(joined, pollTitles);
        AppendAll(joined, descriptions);
        var html = ReplaceParagraphBreaks(ReplaceLineBreaks(joined.ToString()));
        return HtmlFragmentText.ToText(html);
    }

    private static void AppendAll(StringBuilder sb, List<string?>? values)
    {
        if (values is null)
        {
            return;
        }

        foreach (var value in values)
        {
            sb.Append("\n\n").Append(value);
        }
    }

    private static List<string?>? ReadPollTitles(ref Utf8JsonReader reader)
    {
        List<string?>? titles = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isOptions = reader.ValueTextEquals("options"u8);
            reader.Read();
            if (isOptions)
            {
                titles = ReadMember(ref reader, "title"u8);
            }
            else
            {
                reader.Skip();
            }
        }

        return titles;
    }

    /// <summary>For an array of objects, the string member <paramref name="name"/> of each (missing or null gives null).</summary>
    private static List<string?>? ReadMember(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return SkipValue(ref reader);
        }

        var values = new List<string?>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                values.Add(null);
                continue;
            }

            string? value = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(name);
                reader.Read();
                if (match)
                {
                    value = ReadText(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }

            values.Add(value);
        }

        return values;
    }

    private static List<string?>? SkipValue(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }

    /// <summary>A value as <c>Array.prototype.join</c> would print it: strings as they are, null as empty.</summary>
    private static string? ReadText(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return JsonStringReader.ReadKeepingLoneSurrogates(ref reader);
            case JsonTokenType.Number:
                return Encoding.UTF8.GetString(reader.ValueSpan);
            case JsonTokenType.True:
                return "true";
            case JsonTokenType.False:
                return "false";
            case JsonTokenType.StartObject:
                reader.Skip();
                return "[object Object]";
            default:
                reader.Skip();
                return null;
        }
    }

    /// <summary><c>/&lt;br\s*\/?&gt;/g</c> → <c>"\n"</c>, case-sensitive, with JavaScript's <c>\s</c>.</summary>
    private static string ReplaceLineBreaks(string text)
    {
        var index = text.IndexOf("<br", StringComparison.Ordinal);
        if (index < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        var copied = 0;
        while (index >= 0)
        {
            var i = index + 3;
            while (i < text.Length && IsJavaScriptWhiteSpace(text[i]))
            {
                i++;
            }

            if (i < text.Length && text[i] == '/')
            {
                i++;
            }

            if (i < text.Length && text[i] == '>')
            {
                sb.Append(text, copied, index - copied).Append('\n');
                copied = i + 1;
                index = text.IndexOf("<br", copied, StringComparison.Ordinal);
            }
            else
            {
                index = text.IndexOf("<br", index + 1, StringComparison.Ordinal);
            }
        }

        return sb.Append(text, copied, text.Length - copied).ToString();
    }

    private static string ReplaceParagraphBreaks(string text) =>
        text.Replace("</p><p>", "\n\n", StringComparison.Ordinal);

    private static bool IsJavaScriptWhiteSpace(char c) =>
        c is '\t' or '\n' or '\v' or '\f' or '\r' or ' ' or '\u00A0' or '\u1680' or (>= '\u2000' and <= '\u200A')
            or '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000' or '\uFEFF';
}
