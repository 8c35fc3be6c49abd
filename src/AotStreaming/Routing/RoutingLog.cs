using AotStreaming.Diagnostics;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace AotStreaming.Routing;

internal static partial class RoutingLog
{
    [ZLoggerMessage(EventIds.MalformedRedisMessage, LogLevel.Debug, "Skipped a malformed Redis message on {channel} ({length} bytes)")]
    public static partial void MalformedRedisMessage(this ILogger logger, string channel, int length);
}
