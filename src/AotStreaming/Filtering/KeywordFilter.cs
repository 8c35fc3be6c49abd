namespace AotStreaming.Filtering;

/// <summary>
/// One custom filter with all its keywords, matching as upstream's per-filter regex does: the keywords escaped,
/// <c>\b</c> added around whole-word keywords that start or end with an ASCII word character, joined with <c>|</c>,
/// flag <c>i</c> only. That regex is an alternation of literals, so it is evaluated directly: the leftmost
/// position wins, and at one position the earlier keyword wins.
/// </summary>
internal sealed class KeywordFilter(
    long id,
    string title,
    string[] context,
    DateTime? expiresAtUtc,
    int action,
    IReadOnlyList<(string Keyword, bool WholeWord)> keywords)
{
    private readonly Keyword[] _keywords = ToPatterns(keywords);

    public long Id { get; } = id;

    public string Title { get; } = title;

    public string[] Context { get; } = context;

    public DateTime? ExpiresAtUtc { get; } = expiresAtUtc;

    public int Action { get; } = action;

    /// <summary>
    /// Finds the first match in <paramref name="text"/>, given its canonical form (same length).
    /// Returns the start index or -1, and the length of the match.
    /// </summary>
    public int Match(ReadOnlySpan<char> text, ReadOnlySpan<char> canonicalText, out int length)
    {
        var bestStart = -1;
        length = 0;
        foreach (var keyword in _keywords)
        {
            if (bestStart == 0)
            {
                break;
            }

            // Only a match strictly further left can beat an earlier keyword.
            var limit = bestStart < 0 ? canonicalText.Length : bestStart - 1 + keyword.Pattern.Length;
            var start = Find(text, canonicalText[..Math.Min(limit, canonicalText.Length)], keyword);
            if (start >= 0 && (bestStart < 0 || start < bestStart))
            {
                bestStart = start;
                length = keyword.Pattern.Length;
            }
        }

        return bestStart;
    }

    private static int Find(ReadOnlySpan<char> text, ReadOnlySpan<char> canonicalText, Keyword keyword)
    {
        var offset = 0;
        while (offset <= canonicalText.Length)
        {
            var found = canonicalText[offset..].IndexOf(keyword.Pattern);
            if (found < 0)
            {
                return -1;
            }

            var start = offset + found;
            var end = start + keyword.Pattern.Length;
            if ((!keyword.BoundaryBefore || IsBoundary(text, start)) && (!keyword.BoundaryAfter || IsBoundary(text, end)))
            {
                return start;
            }

            offset = start + 1;
        }

        return -1;
    }

    /// <summary><c>\b</c> without the <c>u</c> flag: exactly one side of <paramref name="index"/> is an ASCII word character.</summary>
    private static bool IsBoundary(ReadOnlySpan<char> text, int index)
    {
        var before = index > 0 && RegexIgnoreCase.IsWordChar(text[index - 1]);
        var after = index < text.Length && RegexIgnoreCase.IsWordChar(text[index]);
        return before != after;
    }

    private static Keyword[] ToPatterns(IReadOnlyList<(string Keyword, bool WholeWord)> keywords)
    {
        var result = new Keyword[keywords.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var (keyword, wholeWord) = keywords[i];
            // Upstream escapes .*+?^${}()|[]\ with a backslash, so the escaped text starts (ends) with a word
            // character exactly when the keyword does; the escaped pattern then matches the keyword literally.
            result[i] = new Keyword(
                RegexIgnoreCase.Canonicalize(keyword),
                wholeWord && keyword.Length > 0 && RegexIgnoreCase.IsWordChar(keyword[0]),
                wholeWord && keyword.Length > 0 && RegexIgnoreCase.IsWordChar(keyword[^1]));
        }

        return result;
    }

    private readonly record struct Keyword(string Pattern, bool BoundaryBefore, bool BoundaryAfter);
}
