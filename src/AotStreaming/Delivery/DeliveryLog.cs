using Microsoft.Extensions.Logging;
using AotStreaming.Diagnostics;
using ZLogger;

namespace AotStreaming.Delivery;

/// <summary>Delivery's log events (320s of the 300s range in <see cref="EventIds"/>).</summary>
internal static partial class DeliveryLog
{
    [ZLoggerMessage(EventIds.RawSocketWrites, LogLevel.Debug, "WebSocket {connection} writes to the raw socket")]
    public static partial void RawSocketWrites(this ILogger logger, long connection);

    [ZLoggerMessage(EventIds.PipeWrites, LogLevel.Debug, "WebSocket {connection} writes through Kestrel's output pipe: {reason}")]
    public static partial void PipeWrites(this ILogger logger, long connection, string reason);
}
