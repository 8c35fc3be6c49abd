using Microsoft.Extensions.Options;

namespace AotStreaming.Delivery;

/// <summary>Per-socket limits that keep one slow client from costing the server memory or time.</summary>
public sealed class DeliveryOptions
{
    public const string SectionName = "Streaming:Delivery";

    /// <summary>
    /// Frames queued for one socket before it is closed as a slow consumer. 1024 is minutes of a busy federated
    /// timeline (tens of statuses a second at peak) and more than any burst a reading client accumulates.
    /// </summary>
    public int OutboxCapacity { get; set; } = 1024;

    /// <summary>
    /// Bytes queued for one socket before it is closed as slow; 0 disables the byte limit. 4 MiB is about a
    /// thousand average statuses; centrifuge uses 1 MiB for smaller messages. At 10,000 sockets the worst case is
    /// bounded, and healthy clients hold almost nothing.
    /// </summary>
    public long OutboxMaxBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Seconds a batch may take to reach the socket before the client is dropped (write timeout).</summary>
    public double WriteTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Kernel send buffer of each client socket in bytes; 0 leaves it to the kernel's autotuning, which grows it up to
    /// tcp_wmem's maximum (4 MiB on Debian) for a peer that stopped reading. 128 KiB carries far more than a stream
    /// needs even over slow mobile links, and bounds what a dead peer holds in the kernel.
    /// </summary>
    public int SocketSendBufferBytes { get; set; } = 128 * 1024;

    /// <summary>
    /// Bytes Kestrel holds for one socket, beyond its kernel send buffer, before a write has to wait (Kestrel's
    /// MaxResponseBufferSize, 64 KiB by default). Only a socket whose kernel buffer is full reaches it, and from
    /// then on frames wait in the outbox as shared references instead of as copies here: 16 KiB keeps a stalled
    /// client's private memory small (10% of 5,000 clients stalled: about 8 MB instead of 32 MB).
    /// </summary>
    public int ResponseBufferBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Run socket completions inline on Kestrel's I/O threads (Kestrel's UnsafePreferInlineScheduling). Safe because
    /// no code on those paths blocks; saves a thread-pool hop per frame.
    /// </summary>
    public bool InlineSocketScheduling { get; set; } = true;

    /// <summary>
    /// Write WebSocket frames (events and the runtime's control frames alike) straight to the connection's socket once
    /// the 101 response is out, instead of through Kestrel's output pipe: one send per frame without a copy into pipe
    /// blocks or a pipe reader loop (README, Performance). Falls back to the pipe by itself
    /// where the socket is not reachable or not alone (TLS, no socket transport, InlineSocketScheduling off).
    /// </summary>
    public bool RawSocketWrites { get; set; } = true;

    /// <summary>
    /// Serve a WebSocket upgrade that is a connection's first request on the bare accepted socket, before Kestrel sees
    /// the connection (<c>StreamingTransport</c>), so an open WebSocket holds neither Kestrel's socket connection nor
    /// an HTTP request that never ends (about 9 KB per idle connection). Only plain handshakes are taken; anything
    /// unusual, and every other request, goes to Kestrel as before. Needs <see cref="RawSocketWrites"/>.
    /// </summary>
    public bool UpgradeBelowHttpLayer { get; set; } = true;

    /// <summary>Seconds between SSE <c>:thump</c> comments; Mastodon's server uses 15 s.</summary>
    public double SseHeartbeatSeconds { get; set; } = 15;

    /// <summary>
    /// Seconds between WebSocket ping ticks; Mastodon's server uses 30 s. A socket that has not answered one tick's
    /// ping by the next is terminated, as upstream does, so a dead peer goes within one to two intervals.
    /// </summary>
    public double WebSocketPingSeconds { get; set; } = 30;

    /// <summary>Seconds a closing socket gets to take its close frame before it is aborted.</summary>
    public double CloseGraceSeconds { get; set; } = 2;
}

internal sealed class DeliveryOptionsValidator : IValidateOptions<DeliveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DeliveryOptions options)
    {
        var errors = new List<string>();
        if (options.OutboxCapacity is < 1 or > 1_000_000)
        {
            errors.Add($"{DeliveryOptions.SectionName}:OutboxCapacity must be 1..1000000 (was {options.OutboxCapacity}).");
        }

        if (options.SocketSendBufferBytes is < 0 or > 64 * 1024 * 1024)
        {
            errors.Add($"{DeliveryOptions.SectionName}:SocketSendBufferBytes must be 0 (kernel default) to 67108864 (was {options.SocketSendBufferBytes}).");
        }

        if (options.ResponseBufferBytes is < 0 or > 64 * 1024 * 1024)
        {
            errors.Add($"{DeliveryOptions.SectionName}:ResponseBufferBytes must be 0 to 67108864 (was {options.ResponseBufferBytes}).");
        }

        if (options.OutboxMaxBytes < 0)
        {
            errors.Add($"{DeliveryOptions.SectionName}:OutboxMaxBytes must be 0 (no limit) or positive (was {options.OutboxMaxBytes}).");
        }

        foreach (var (key, value) in new[]
        {
            ("WriteTimeoutSeconds", options.WriteTimeoutSeconds), ("SseHeartbeatSeconds", options.SseHeartbeatSeconds),
            ("WebSocketPingSeconds", options.WebSocketPingSeconds),
            ("CloseGraceSeconds", options.CloseGraceSeconds),
        })
        {
            if (!(value > 0) || value > 86_400)
            {
                errors.Add($"{DeliveryOptions.SectionName}:{key} must be > 0 and <= 86400 seconds (was {value}).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
