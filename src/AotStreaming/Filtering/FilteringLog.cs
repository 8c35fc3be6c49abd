using AotStreaming.Diagnostics;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace AotStreaming.Filtering;

internal static partial class FilteringLog
{
    [ZLoggerMessage(EventIds.FilterFailedClosed, LogLevel.Warning, "Filter query failed; dropped the status for {recipients} recipients (fail closed, {failures} failures so far): {reason}")]
    public static partial void FilterFailedClosed(this ILogger logger, int recipients, string reason, long failures);
}
