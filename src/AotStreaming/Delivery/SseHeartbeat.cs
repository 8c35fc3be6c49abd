using AotStreaming.Protocol;
using AotStreaming.Serialization;
using Microsoft.Extensions.Options;

namespace AotStreaming.Delivery;

/// <summary>
/// One timer for all SSE clients: every interval each gets <c>:thump\n\n</c> through its outbox (so it is ordered
/// with events and a stalled client's outbox still fills). WebSocket keep-alive uses ping frames instead.
/// </summary>
internal sealed class SseHeartbeat(ConnectionRegistry registry, IOptions<DeliveryOptions> options, TimeProvider time) : IAsyncDisposable
{
    private static readonly byte[] s_thump = SseFrames.Heartbeat.ToArray();
    private ITimer? _timer;

    public void Start()
    {
        var interval = TimeSpan.FromSeconds(options.Value.SseHeartbeatSeconds);
        _timer = time.CreateTimer(_ => Beat(), null, interval, interval);
    }

    private void Beat()
    {
        foreach (var connection in registry.Snapshot())
        {
            if (connection.Transport == Transport.EventSource && !connection.IsClosing)
            {
                connection.Send(s_thump, isEvent: false);
            }
        }
    }

    public ValueTask DisposeAsync() => _timer?.DisposeAsync() ?? ValueTask.CompletedTask;
}
