using AotStreaming.Testing;

namespace AotStreaming.Support;

/// <summary>
/// Waits until receivers are subscribed to a Redis channel on the server: publishes probe deletes until each
/// receiver got one, then one final probe every receiver must get (which also flushes stray earlier probes).
/// Needed for shared channels (timeline:public), where PUBSUB NUMSUB is already 1 before our subscription lands.
/// </summary>
public static class ChannelSync
{
    private static readonly TimeSpan s_window = TimeSpan.FromMilliseconds(300);

    public static async Task SyncAsync(StreamingServer server, string channel, params FrameReceiver[] receivers)
    {
        var prefix = "sync-" + Guid.NewGuid().ToString("N")[..8] + "-";
        var pending = receivers.ToList();
        var probe = 0;
        // Each observation publishes a probe and waits up to the window for it: the window is the interval.
        await Eventually.UntilAsync(
            async () =>
            {
                var id = prefix + probe++;
                await server.PublishAsync(channel, RailsMessages.Delete(id));
                var seen = await Task.WhenAll(pending.Select(r => r.WaitForProbeAsync(id, s_window)));
                pending = pending.Where((_, i) => !seen[i]).ToList();
                return pending.Count;
            },
            waiting => waiting == 0,
            DefaultTimeoutExtensions.Timeout,
            $"every receiver to see a probe on {channel}",
            waiting => $"{waiting} of {receivers.Length} receivers saw none",
            interval: TimeSpan.Zero);

        var last = prefix + "final";
        await server.PublishAsync(channel, RailsMessages.Delete(last));
        var all = await Task.WhenAll(receivers.Select(r => r.WaitForProbeAsync(last, DefaultTimeoutExtensions.Timeout)));
        if (all.Any(seen => !seen))
        {
            throw new TimeoutException($"the final probe on {channel} did not reach every receiver");
        }
    }
}
