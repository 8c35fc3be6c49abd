namespace AotStreaming.Filtering;

/// <summary>
/// The database half of public/hashtag filtering (reference §6.3 steps 5–9) as a pure service: a
/// <see cref="FilterRequest"/> in, one <see cref="FilterVerdict"/> out through the request's
/// <see cref="FilterRequest.ReplyTo"/>. It reads the request (immutable once started) and remembers nothing about
/// connections: caching the keyword filters it loads is the business of the dispatcher that owns the connection.
/// </summary>
internal interface IStatusFilter
{
    /// <summary>Answers <paramref name="request"/> off the caller's thread; never throws (failures answer <see cref="FilterVerdict.FailedClosed"/>).</summary>
    void Start(FilterRequest request);
}

/// <summary>
/// Where a filter verdict goes back against the event path's direction: the inbox of the dispatcher that asked.
/// Implemented by the dispatcher, so the verdict is applied on its loop like every other change to its state.
/// </summary>
internal interface IFilterReplyInbox
{
    ValueTask PostFilterVerdictAsync(FilterRequest request, FilterVerdict verdict);
}
