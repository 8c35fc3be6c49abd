using AotStreaming.Diagnostics;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace AotStreaming.Ingress;

internal static partial class IngressLog
{
    [ZLoggerMessage(EventIds.RedisSubscriberLost, LogLevel.Error, "Redis subscriber connection lost: {reason}; streams are paused until it is back (retrying)")]
    public static partial void RedisSubscriberLost(this ILogger logger, string reason);

    [ZLoggerMessage(EventIds.RedisSubscriberRecovered, LogLevel.Information, "Redis subscriber connection restored on {endPoint}; re-subscribed {channels} channels")]
    public static partial void RedisSubscriberRecovered(this ILogger logger, string endPoint, int channels);

    [ZLoggerMessage(EventIds.RedisSubscriberError, LogLevel.Warning, "Redis answered the subscriber connection with an error: {message}")]
    public static partial void RedisSubscriberError(this ILogger logger, string message);

    [ZLoggerMessage(EventIds.RedisSubscriberSilent, LogLevel.Warning, "Redis subscriber connection silent for {seconds} s; reconnecting")]
    public static partial void RedisSubscriberSilent(this ILogger logger, int seconds);

    [ZLoggerMessage(EventIds.PresenceKeyFailed, LogLevel.Warning, "Could not write a subscribed: presence key: {reason}")]
    public static partial void PresenceKeyFailed(this ILogger logger, string reason);

    [ZLoggerMessage(EventIds.IngressFull, LogLevel.Warning, "Ingress queue full: shedding Redis messages ({dropped} shed so far)")]
    public static partial void IngressFull(this ILogger logger, long dropped);

    [ZLoggerMessage(EventIds.SentinelMasterSwitch, LogLevel.Warning, "Redis Sentinel: new master of {service} is {endPoint} ({announcement}); moving the subscriber there")]
    public static partial void SentinelMasterSwitch(this ILogger logger, string service, string endPoint, string announcement);

    [ZLoggerMessage(EventIds.SentinelWatching, LogLevel.Debug, "Watching Redis Sentinel {sentinel} for failovers of {service}")]
    public static partial void SentinelWatching(this ILogger logger, string sentinel, string service);

    [ZLoggerMessage(EventIds.SentinelUnreachable, LogLevel.Warning, "Redis Sentinel {sentinel} unreachable: {reason}; watching the others, retrying")]
    public static partial void SentinelUnreachable(this ILogger logger, string sentinel, string reason);

    [ZLoggerMessage(EventIds.SentinelQueryFailed, LogLevel.Debug, "Redis Sentinel {sentinel} did not answer for the master: {reason}")]
    public static partial void SentinelQueryFailed(this ILogger logger, string sentinel, string reason);

    [ZLoggerMessage(EventIds.RedisSubscriberConnected, LogLevel.Information, "Redis subscriber connected to {endPoint}; subscribed {channels} channels")]
    public static partial void RedisSubscriberConnected(this ILogger logger, string endPoint, int channels);

    [ZLoggerMessage(EventIds.OversizedMessageSkipped, LogLevel.Warning, "Skipped a Redis message of {bytes} bytes on {channel}: above Ingress:MaxMessageBytes ({skipped} skipped so far; logged at most once a minute)")]
    public static partial void OversizedMessageSkipped(this ILogger logger, string channel, long bytes, long skipped);

    [ZLoggerMessage(EventIds.ReadThreadPriorityRaised, LogLevel.Debug, "Redis subscriber read thread runs at nice {nice} (Ingress:ReadThreadNice)")]
    public static partial void ReadThreadPriorityRaised(this ILogger logger, int nice);

    [ZLoggerMessage(EventIds.ReadThreadPriorityRefused, LogLevel.Information, "Redis subscriber read thread stays at the process's priority: nice {nice} was refused ({error}). Under full CPU a burst of large messages can then outrun it and Redis closes the subscriber; the packaged unit allows it with LimitNICE=-10 (or grant CAP_SYS_NICE, or set Ingress:ReadThreadNice to 0 to silence this)")]
    public static partial void ReadThreadPriorityRefused(this ILogger logger, int nice, string error);
}
