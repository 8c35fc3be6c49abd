namespace AotStreaming.Filtering;

/// <summary>
/// The answer to a <see cref="FilterRequest"/>, by viewer account: the few viewers who must not see the status
/// (blocks, mutes, domain blocks), the few whose keyword filters match it (with their <c>filtered</c> array), and
/// the keyword filters loaded for viewers that had none cached. Everyone else gets the shared frame. Immutable.
/// </summary>
internal sealed class FilterVerdict(HashSet<long>? excluded, Dictionary<long, byte[]>? matches, Dictionary<long, KeywordFilterSet>? loaded)
{
    /// <summary>The database failed: nobody of the request gets the status (fail closed).</summary>
    public static FilterVerdict FailedClosed { get; } = new(null, null, null);

    public bool Failed => excluded is null;

    public bool IsExcluded(long viewer) => excluded is null || excluded.Contains(viewer);

    /// <summary>The viewer's <c>filtered</c> array as UTF-8 JSON, or null when no keyword filter matched.</summary>
    public byte[]? MatchFor(long viewer) => matches is not null && matches.TryGetValue(viewer, out var json) ? json : null;

    /// <summary>Keyword filters the stage loaded for <paramref name="viewer"/> (to cache), if it had to load them.</summary>
    public bool TryGetLoaded(long viewer, out KeywordFilterSet filters)
    {
        if (loaded is not null && loaded.TryGetValue(viewer, out var set))
        {
            filters = set;
            return true;
        }

        filters = KeywordFilterSet.Empty;
        return false;
    }
}
