using AotStreaming.Delivery;
using AotStreaming.Filtering;

namespace AotStreaming.Dispatch;

/// <summary>
/// A connection as its dispatcher sees it: the Delivery-side <see cref="ClientConnection"/> plus the state that
/// dispatching needs per connection (keyword filter cache, events deferred behind a pending filter, how many
/// subscriptions point here). Owner: the <see cref="Dispatcher"/> the connection was assigned to; it is created,
/// read, written and dropped only on that dispatcher's loop, so nothing here is volatile or locked.
/// </summary>
internal sealed class DispatchedConnection(ClientConnection connection)
{
    public ClientConnection Connection => connection;

    // Copies of the connection's fixed identity, read for every filtered status: kept here so the dispatcher's
    // passes over thousands of recipients do not also load each connection's user object (a cache miss each).

    /// <summary>The viewer's account (<c>Connection.User.AccountId</c>).</summary>
    public long AccountId { get; } = connection.User.AccountId;

    /// <summary>The viewer's chosen languages (<c>Connection.User.ChosenLanguages</c>), null for all.</summary>
    public string[]? ChosenLanguages { get; } = connection.User.ChosenLanguages;

    /// <summary>Subscriptions of this connection on the dispatcher; the entry is dropped at zero (once nothing is deferred).</summary>
    public int Subscriptions { get; set; }

    /// <summary>Keyword filters, cached from the first filter verdict that loaded them; cleared by <c>filters_changed</c>.</summary>
    public KeywordFilterSet? Filters { get; set; }

    /// <summary>Bumped by <c>filters_changed</c>: filters loaded by a request started before it are not cached.</summary>
    public int FiltersGeneration { get; set; }

    /// <summary>
    /// The status this connection waits on when nothing else is queued: the common case of a filtered timeline
    /// (one status at a time in flight) then needs no queue entry, only this reference and <see cref="AwaitingSlot"/>.
    /// </summary>
    public PendingStatus? Awaiting { get; set; }

    /// <summary>This connection's slot in <see cref="Awaiting"/>.</summary>
    public int AwaitingSlot { get; set; }

    /// <summary>Events (and further pending statuses) queued behind <see cref="Awaiting"/> or each other; null until first needed.</summary>
    public DeferredDeliveries? Deferred { get; set; }

    /// <summary>Events of this connection wait on a filter verdict: anything new must queue behind them.</summary>
    public bool IsBlocked => Awaiting is not null || Deferred is { Count: > 0 };

    /// <summary>Events held for this connection (they count against its outbox bound).</summary>
    public int Waiting => (Awaiting is null ? 0 : 1) + (Deferred?.Count ?? 0);
}
