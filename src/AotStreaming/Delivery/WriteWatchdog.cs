using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace AotStreaming.Delivery;

/// <summary>
/// One timer for every socket's write timeout: a socket whose current batch has not reached the peer within
/// <see cref="DeliveryOptions.WriteTimeoutSeconds"/> is dropped. Checking four times per timeout keeps the
/// drop within 25% of the configured time, at a cost of one pass over the connections per tick.
/// </summary>
internal sealed class WriteWatchdog(ConnectionRegistry registry, IOptions<DeliveryOptions> options, TimeProvider time) : IAsyncDisposable
{
    private ITimer? _timer;

    public void Start()
    {
        var interval = TimeSpan.FromSeconds(Math.Max(0.05, options.Value.WriteTimeoutSeconds / 4));
        _timer = time.CreateTimer(_ => Check(), null, interval, interval);
    }

    private void Check()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var connection in registry.Snapshot())
        {
            connection.CheckWriteTimeout(now);
        }
    }

    public ValueTask DisposeAsync() => _timer?.DisposeAsync() ?? ValueTask.CompletedTask;
}
