using AotStreaming.Decoding;

namespace AotStreaming.Filtering;

/// <summary>
/// One status to filter for a set of viewers: each distinct viewer with the keyword filters its dispatcher has
/// cached, or null where they must be loaded. Owner: the dispatcher that builds it; once handed to
/// <see cref="IStatusFilter.Start"/> it is only read until its verdict is posted back. The dispatcher reuses the
/// object (and its viewer table) for a later status once every recipient has had its frame.
/// </summary>
internal class FilterRequest(IFilterReplyInbox replyTo)
{
    private readonly Dictionary<long, KeywordFilterSet?> _viewers = [];
    private StreamEvent? _event;
    private StatusFacts? _facts;

    public StreamEvent Event => _event ?? throw new InvalidOperationException("the request has no status");

    public StatusFacts Facts => _facts ?? throw new InvalidOperationException("the request has no status");

    public IFilterReplyInbox ReplyTo => replyTo;

    /// <summary>Viewer account id → cached keyword filters (null: not cached, the stage loads them).</summary>
    public IReadOnlyDictionary<long, KeywordFilterSet?> Viewers => _viewers;

    /// <summary>Takes on a status; the viewer table keeps the capacity of earlier ones.</summary>
    protected void Begin(StreamEvent streamEvent, StatusFacts facts, int expectedViewers)
    {
        _event = streamEvent;
        _facts = facts;
        _viewers.EnsureCapacity(expectedViewers);
    }

    /// <summary>Lets go of the status and the viewers (the table keeps its capacity).</summary>
    protected void End()
    {
        _event = null;
        _facts = null;
        _viewers.Clear();
    }

    /// <summary>Adds a viewer (before the request starts); a cached set from any of its connections is kept.</summary>
    protected void AddViewer(long accountId, KeywordFilterSet? cachedFilters)
    {
        if (!_viewers.TryGetValue(accountId, out var known) || known is null)
        {
            _viewers[accountId] = cachedFilters;
        }
    }
}
