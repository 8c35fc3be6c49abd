namespace AotStreaming.Filtering;

internal sealed record KeywordFilterRow(long FilterId, string Title, string[] Context, DateTime? ExpiresAtUtc, int Action, string Keyword, bool WholeWord);
