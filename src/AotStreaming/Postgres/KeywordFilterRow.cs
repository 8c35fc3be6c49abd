namespace AotStreaming.Postgres;

/// <summary>
/// One row of the keyword-filter load query (reference §6.7): a filter repeated once per keyword.
/// <paramref name="ExpiresAtUtc"/> holds UTC whatever its <see cref="DateTime.Kind"/> (the column is
/// <c>timestamp without time zone</c>).
/// </summary>
internal sealed record KeywordFilterRow(
    long FilterId,
    string Title,
    string[] Context,
    DateTime? ExpiresAtUtc,
    int Action,
    string Keyword,
    bool WholeWord);
