using AotStreaming.Decoding;
using AotStreaming.Delivery;

namespace AotStreaming.Dispatch;

internal enum DispatcherCommandKind
{
    Deliver,
    Subscribe,
    Unsubscribe,
    FilterResolved,
}

/// <summary>What a dispatcher's inbox carries; subscription changes travel with events so its state stays single-threaded.</summary>
internal readonly record struct DispatcherCommand(DispatcherCommandKind Kind, StreamEvent? Event, bool Deliverable, Subscription? Subscription, Filtering.FilterBatch? Batch = null)
{
    public static DispatcherCommand Resolved(Filtering.FilterBatch batch) => new(DispatcherCommandKind.FilterResolved, null, false, null, batch);

    public static DispatcherCommand Deliver(StreamEvent streamEvent, bool deliverable) => new(DispatcherCommandKind.Deliver, streamEvent, deliverable, null);

    public static DispatcherCommand Add(Subscription subscription) => new(DispatcherCommandKind.Subscribe, null, false, subscription);

    public static DispatcherCommand Remove(Subscription subscription) => new(DispatcherCommandKind.Unsubscribe, null, false, subscription);
}
