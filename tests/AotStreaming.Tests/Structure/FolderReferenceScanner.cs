using System.Text;
using System.Text.RegularExpressions;

namespace AotStreaming.Structure;

/// <summary>
/// Which other folders of <c>src/AotStreaming</c> one source file refers to. A reference is a <c>using</c>
/// directive (<c>using AotStreaming.Routing;</c>, <c>using static AotStreaming.Diagnostics.PrometheusText;</c>) or
/// a namespace-qualified name (<c>Diagnostics.StreamingMetrics</c>, <c>AotStreaming.Filtering.FilterBatch</c>):
/// both make the file depend on that folder, so both count. Comments and string literals are blanked first, so
/// a folder named in prose is no dependency. Text only, no compiler: namespaces follow folders in this project.
/// </summary>
internal static partial class FolderReferenceScanner
{
    /// <summary>The folders <paramref name="source"/> refers to, other than <paramref name="ownFolder"/>.</summary>
    public static IReadOnlySet<string> Scan(string source, string ownFolder, IReadOnlyCollection<string> folders)
    {
        var code = StripCommentsAndStrings(source);
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match match in UsingDirective().Matches(code))
        {
            found.Add(match.Groups["folder"].Value);
        }

        foreach (Match match in QualifiedName().Matches(code))
        {
            found.Add(match.Groups["folder"].Value);
        }

        found.RemoveWhere(folder => folder == ownFolder || !folders.Contains(folder));
        return found;
    }

    /// <summary>
    /// Replaces comments, string and character literals with spaces (newlines kept). Interpolated strings are
    /// blanked whole, holes included: no source file qualifies a folder inside an interpolation hole.
    /// </summary>
    internal static string StripCommentsAndStrings(string source)
    {
        var text = new StringBuilder(source.Length);
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            var next = i + 1 < source.Length ? source[i + 1] : '\0';
            if (c == '/' && next == '/')
            {
                var end = source.IndexOf('\n', i);
                i = Blank(text, source, i, end < 0 ? source.Length : end);
            }
            else if (c == '/' && next == '*')
            {
                var end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = Blank(text, source, i, end < 0 ? source.Length : end + 2);
            }
            else if (c == '"' && next == '"' && i + 2 < source.Length && source[i + 2] == '"')
            {
                // Raw string literal: as many quotes close it as opened it.
                var quotes = 0;
                while (i + quotes < source.Length && source[i + quotes] == '"')
                {
                    quotes++;
                }

                var end = source.IndexOf(new string('"', quotes), i + quotes, StringComparison.Ordinal);
                i = Blank(text, source, i, end < 0 ? source.Length : end + quotes);
            }
            else if (c == '"' || c == '\'')
            {
                var verbatim = i > 0 && source[i - 1] == '@' || i > 1 && source[i - 1] == '$' && source[i - 2] == '@';
                i = Blank(text, source, i, EndOfLiteral(source, i, c, verbatim));
            }
            else
            {
                text.Append(c);
                i++;
            }
        }

        return text.ToString();
    }

    private static int EndOfLiteral(string source, int start, char quote, bool verbatim)
    {
        for (var i = start + 1; i < source.Length; i++)
        {
            if (verbatim && source[i] == '"' && i + 1 < source.Length && source[i + 1] == '"')
            {
                i++;
            }
            else if (!verbatim && source[i] == '\\')
            {
                i++;
            }
            else if (source[i] == quote)
            {
                return i + 1;
            }
        }

        return source.Length;
    }

    private static int Blank(StringBuilder text, string source, int start, int end)
    {
        for (var i = start; i < end; i++)
        {
            text.Append(source[i] == '\n' ? '\n' : ' ');
        }

        return end;
    }

    [GeneratedRegex(@"\busing\s+(?:static\s+)?(?:\w+\s*=\s*)?(?:global::)?AotStreaming\.(?<folder>\w+)")]
    private static partial Regex UsingDirective();

    // Not preceded by a letter or a dot, so System.Diagnostics.Stopwatch and options.Delivery are no references.
    [GeneratedRegex(@"(?<![\w.])(?:global::)?(?:AotStreaming\s*\.\s*)?(?<folder>[A-Z]\w*)\s*\.\s*[A-Za-z_]")]
    private static partial Regex QualifiedName();
}
