namespace AotStreaming.Filtering;

/// <summary>
/// Case-insensitive comparison as a JavaScript regex with only the <c>i</c> flag does it: per UTF-16 code unit,
/// through ECMAScript's Canonicalize (upper-case when that gives one unit, never non-ASCII to ASCII).
/// .NET's <c>RegexOptions.IgnoreCase</c> uses other equivalences (it matches <c>k</c> with U+212A KELVIN SIGN,
/// which JavaScript does not), so keyword filters compare canonical forms themselves.
/// </summary>
internal static class RegexIgnoreCase
{
    public static char Canonicalize(char c)
    {
        if (c < 128)
        {
            return c is >= 'a' and <= 'z' ? (char)(c - 32) : c;
        }

        var index = RegexCaseData.Keys.AsSpan().BinarySearch(c);
        return index >= 0 ? RegexCaseData.Values[index] : c;
    }

    public static string Canonicalize(string text) =>
        string.Create(text.Length, text, static (destination, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                destination[i] = Canonicalize(source[i]);
            }
        });

    /// <summary>A word character for <c>\b</c> in a non-Unicode regex: ASCII letters, digits and <c>_</c> only.</summary>
    public static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
