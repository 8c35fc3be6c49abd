namespace AotStreaming.Filtering;

internal sealed class KeywordFilterSet
{
    public static KeywordFilterSet Empty { get; } = new();

    public bool IsEmpty => true;

    public static KeywordFilterSet Build(IReadOnlyList<KeywordFilterRow> rows) => Empty;

    public byte[]? MatchToJson(string searchableText, DateTime utcNow) => null;
}
