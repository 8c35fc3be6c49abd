using AotStreaming.Decoding;

namespace AotStreaming.Filtering;

/// <summary>
/// One status to filter for a set of viewers: each distinct viewer with the keyword filters its dispatcher has
/// cached, or null where they must be loaded. Owner: the dispatcher that builds it; once handed to
/// <see cref="IStatusFilter.Start"/> it is only read.
/// </summary>
internal class FilterRequest(StreamEvent streamEvent, StatusFacts facts, IFilterReplyInbox replyTo, int expectedViewers = 0)
{
    private readonly Dictionary<long, KeywordFilterSet?> _viewers = new(expectedViewers);

    public StreamEvent Event => streamEvent;

    public StatusFacts Facts => facts;

    public IFilterReplyInbox ReplyTo => replyTo;

    /// <summary>Viewer account id → cached keyword filters (null: not cached, the stage loads them).</summary>
    public IReadOnlyDictionary<long, KeywordFilterSet?> Viewers => _viewers;

    /// <summary>Adds a viewer (before the request starts); a cached set from any of its connections is kept.</summary>
    protected void AddViewer(long accountId, KeywordFilterSet? cachedFilters)
    {
        if (!_viewers.TryGetValue(accountId, out var known) || known is null)
        {
            _viewers[accountId] = cachedFilters;
        }
    }
}
