using AotStreaming.Diagnostics;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace AotStreaming.Dispatch;

internal static partial class DispatchLog
{
    [ZLoggerMessage(EventIds.DispatchFailed, LogLevel.Error, "Dispatcher {dispatcher} failed to handle a command")]
    public static partial void DispatchFailed(this ILogger logger, Exception exception, int dispatcher);

    [ZLoggerMessage(EventIds.UnfilterableStatus, LogLevel.Warning, "Skipped a status on {channel} that filtering cannot read: {reason}")]
    public static partial void UnfilterableStatus(this ILogger logger, string channel, string reason);
}
