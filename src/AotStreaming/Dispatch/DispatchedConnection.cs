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

    /// <summary>Subscriptions of this connection on the dispatcher; the entry is dropped at zero (once nothing is deferred).</summary>
    public int Subscriptions { get; set; }

    /// <summary>Keyword filters, cached from the first filter verdict that loaded them; cleared by <c>filters_changed</c>.</summary>
    public KeywordFilterSet? Filters { get; set; }

    /// <summary>Bumped by <c>filters_changed</c>: filters loaded by a request started before it are not cached.</summary>
    public int FiltersGeneration { get; set; }

    /// <summary>Events waiting behind a status that is still being filtered; null until first needed.</summary>
    public DeferredDeliveries? Deferred { get; set; }

    public bool HasDeferred => Deferred is { Count: > 0 };
}
