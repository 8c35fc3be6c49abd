using AotStreaming.Decoding;
using AotStreaming.Delivery;
using AotStreaming.Filtering;

namespace AotStreaming.Dispatch;

internal enum DispatcherCommandKind
{
    Deliver,
    Subscribe,
    Unsubscribe,
    FilterResolved,
}

/// <summary>
/// What a dispatcher's inbox carries; subscription changes and filter verdicts travel with events so its state
/// stays single-threaded.
/// </summary>
internal readonly record struct DispatcherCommand(
    DispatcherCommandKind Kind,
    StreamEvent? Event,
    bool Deliverable,
    Subscription? Subscription,
    PendingStatus? Pending = null,
    FilterVerdict? Verdict = null)
{
    public static DispatcherCommand Resolved(PendingStatus pending, FilterVerdict verdict) =>
        new(DispatcherCommandKind.FilterResolved, null, false, null, pending, verdict);

    public static DispatcherCommand Deliver(StreamEvent streamEvent, bool deliverable) => new(DispatcherCommandKind.Deliver, streamEvent, deliverable, null);

    public static DispatcherCommand Add(Subscription subscription) => new(DispatcherCommandKind.Subscribe, null, false, subscription);

    public static DispatcherCommand Remove(Subscription subscription) => new(DispatcherCommandKind.Unsubscribe, null, false, subscription);
}
