using Microsoft.Extensions.Logging;
using ZLogger;

namespace AotStreaming.Delivery;

/// <summary>Delivery's log events: 320s in the 300s range of <see cref="Diagnostics.EventIds"/>.</summary>
internal static partial class DeliveryLog
{
    [ZLoggerMessage(321, LogLevel.Debug, "WebSocket {connection} writes to the raw socket")]
    public static partial void RawSocketWrites(this ILogger logger, long connection);

    [ZLoggerMessage(322, LogLevel.Debug, "WebSocket {connection} writes through Kestrel's output pipe: {reason}")]
    public static partial void PipeWrites(this ILogger logger, long connection, string reason);
}
