using Microsoft.Extensions.Logging;
using ZLogger;

namespace AotStreaming.Ingress;

internal static partial class IngressLog
{
    [ZLoggerMessage(101, LogLevel.Error, "Redis subscriber connection lost: {reason}; streams are paused until it is back (retrying)")]
    public static partial void RedisSubscriberLost(this ILogger logger, string reason);

    [ZLoggerMessage(102, LogLevel.Information, "Redis subscriber connection restored on {endPoint}; re-subscribed {channels} channels")]
    public static partial void RedisSubscriberRecovered(this ILogger logger, string endPoint, int channels);

    [ZLoggerMessage(103, LogLevel.Warning, "Redis answered the subscriber connection with an error: {message}")]
    public static partial void RedisSubscriberError(this ILogger logger, string message);

    [ZLoggerMessage(104, LogLevel.Warning, "Redis subscriber connection silent for {seconds} s; reconnecting")]
    public static partial void RedisSubscriberSilent(this ILogger logger, int seconds);

    [ZLoggerMessage(105, LogLevel.Warning, "Could not write a subscribed: presence key: {reason}")]
    public static partial void PresenceKeyFailed(this ILogger logger, string reason);

    [ZLoggerMessage(106, LogLevel.Warning, "Ingress queue full: shedding Redis messages ({dropped} shed so far)")]
    public static partial void IngressFull(this ILogger logger, long dropped);

    [ZLoggerMessage(107, LogLevel.Warning, "Redis Sentinel: new master of {service} is {endPoint} ({announcement}); moving the subscriber there")]
    public static partial void SentinelMasterSwitch(this ILogger logger, string service, string endPoint, string announcement);

    [ZLoggerMessage(108, LogLevel.Debug, "Watching Redis Sentinel {sentinel} for failovers of {service}")]
    public static partial void SentinelWatching(this ILogger logger, string sentinel, string service);

    [ZLoggerMessage(109, LogLevel.Warning, "Redis Sentinel {sentinel} unreachable: {reason}; watching the others, retrying")]
    public static partial void SentinelUnreachable(this ILogger logger, string sentinel, string reason);

    [ZLoggerMessage(110, LogLevel.Debug, "Redis Sentinel {sentinel} did not answer for the master: {reason}")]
    public static partial void SentinelQueryFailed(this ILogger logger, string sentinel, string reason);

    [ZLoggerMessage(111, LogLevel.Information, "Redis subscriber connected to {endPoint}; subscribed {channels} channels")]
    public static partial void RedisSubscriberConnected(this ILogger logger, string endPoint, int channels);

    [ZLoggerMessage(112, LogLevel.Warning, "Skipped a Redis message of {bytes} bytes on {channel}: above Ingress:MaxMessageBytes ({skipped} skipped so far; logged at most once a minute)")]
    public static partial void OversizedMessageSkipped(this ILogger logger, string channel, long bytes, long skipped);
}
