using AotStreaming.Diagnostics;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace AotStreaming.Hosting;

internal static partial class HostingLog
{
    // The exact text upstream's test harness and operators' scripts wait for (reference §1).
    [ZLoggerMessage(EventIds.Listening, LogLevel.Information, "Streaming API now listening on {address}")]
    public static partial void Listening(this ILogger logger, string address);

    [ZLoggerMessage(EventIds.Configured, LogLevel.Information, "Using Redis {redis}{ns}, PostgreSQL {postgres} (pool {pool}), {dispatchers} dispatchers, environment {environment}")]
    public static partial void Configured(this ILogger logger, string redis, string ns, string postgres, int pool, int dispatchers, string environment);

    [ZLoggerMessage(EventIds.ShuttingDown, LogLevel.Information, "Shutting down: closing {connections} connections")]
    public static partial void ShuttingDown(this ILogger logger, int connections);

    [ZLoggerMessage(EventIds.EnvFileLoaded, LogLevel.Information, "Loaded Mastodon environment file {path}")]
    public static partial void EnvFileLoaded(this ILogger logger, string path);
}
