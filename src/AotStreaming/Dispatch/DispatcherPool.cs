using AotStreaming.Delivery;
using AotStreaming.Filtering;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AotStreaming.Dispatch;

/// <summary>
/// The fixed set of dispatchers. Connections are assigned round-robin when accepted (as Kestrel assigns sockets
/// to its I/O queues); a connection's subscriptions all live on its dispatcher, which keeps its events in order.
/// </summary>
internal sealed class DispatcherPool : IDispatcherInboxes
{
    private readonly Dispatcher[] _dispatchers;
    private readonly Task[] _loops;
    private int _next = -1;

    public DispatcherPool(IOptions<DispatchOptions> options, StatusFilterStage filters, Diagnostics.StreamingMetrics metrics, ILogger<Dispatcher> logger)
    {
        var count = options.Value.EffectiveDispatcherCount;
        _dispatchers = new Dispatcher[count];
        for (var i = 0; i < count; i++)
        {
            _dispatchers[i] = new Dispatcher(i, options.Value.DispatcherInboxCapacity, filters, metrics, logger);
        }

        _loops = Array.ConvertAll(_dispatchers, d => Task.Run(d.RunAsync));
    }

    public Dispatcher this[int index] => _dispatchers[index];

    public ValueTask PostAsync(int dispatcher, DispatcherCommand command) => _dispatchers[dispatcher].PostAsync(command);

    public int Assign() => (int)((uint)Interlocked.Increment(ref _next) % (uint)_dispatchers.Length);

    /// <summary>
    /// Hands a new subscription to its connection's dispatcher. The caller (the subscribe path) makes it visible to
    /// the router only after this, so the dispatcher knows the subscription before any event for it arrives.
    /// </summary>
    public ValueTask AddAsync(Subscription subscription) =>
        _dispatchers[subscription.Connection.DispatcherIndex].PostAsync(DispatcherCommand.Add(subscription));

    /// <summary>Takes a subscription off its dispatcher; the caller has already hidden it from the router.</summary>
    public ValueTask RemoveAsync(Subscription subscription) =>
        _dispatchers[subscription.Connection.DispatcherIndex].PostAsync(DispatcherCommand.Remove(subscription));

    public int TotalQueueDepth()
    {
        var total = 0;
        foreach (var dispatcher in _dispatchers)
        {
            total += dispatcher.QueueDepth;
        }

        return total;
    }

    public async Task StopAsync()
    {
        foreach (var dispatcher in _dispatchers)
        {
            dispatcher.Complete();
        }

        await Task.WhenAll(_loops);
    }
}
