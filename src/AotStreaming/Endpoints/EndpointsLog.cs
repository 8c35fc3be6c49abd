using AotStreaming.Diagnostics;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace AotStreaming.Endpoints;

// Access tokens never reach these calls: connection ids, account ids and request ids only.
internal static partial class EndpointsLog
{
    [ZLoggerMessage(EventIds.ClientConnected, LogLevel.Debug, "Connection {connectionId} ({transport}) opened for account {accountId} {channel}")]
    public static partial void ClientConnected(this ILogger logger, long connectionId, string transport, long accountId, string channel);

    [ZLoggerMessage(EventIds.ClientDisconnected, LogLevel.Debug, "Connection {connectionId} ({transport}) closed: {reason}")]
    public static partial void ClientDisconnected(this ILogger logger, long connectionId, string transport, string reason);

    [ZLoggerMessage(EventIds.RequestRejected, LogLevel.Information, "Request {requestId} refused with {status}: {message}")]
    public static partial void RequestRejected(this ILogger logger, string requestId, int status, string message);

    [ZLoggerMessage(EventIds.RequestFailed, LogLevel.Warning, "Request {requestId} failed with {errorType}: {message}")]
    public static partial void RequestFailed(this ILogger logger, string requestId, string errorType, string message);

    [ZLoggerMessage(EventIds.Subscribed, LogLevel.Debug, "Connection {connectionId} subscribed to {channel}")]
    public static partial void Subscribed(this ILogger logger, long connectionId, string channel);

    [ZLoggerMessage(EventIds.SubscribeFailed, LogLevel.Warning, "Connection {connectionId} could not subscribe ({errorType}): {message}")]
    public static partial void SubscribeFailed(this ILogger logger, long connectionId, string errorType, string message);

    [ZLoggerMessage(EventIds.ClientDropped, LogLevel.Information, "Dropped connection {connectionId} ({transport}) as {reason}: {queuedFrames} frames, {queuedBytes} bytes queued")]
    public static partial void ClientDropped(this ILogger logger, long connectionId, string transport, string reason, int queuedFrames, long queuedBytes);

    [ZLoggerMessage(EventIds.HandshakeRejected, LogLevel.Information, "Request {requestId} WebSocket handshake refused with {status}: {reason}")]
    public static partial void HandshakeRejected(this ILogger logger, string requestId, int status, string reason);

    [ZLoggerMessage(EventIds.ProtocolViolation, LogLevel.Debug, "Connection {connectionId} closed by the WebSocket protocol: {message}")]
    public static partial void ProtocolViolation(this ILogger logger, long connectionId, string message);

    [ZLoggerMessage(EventIds.UpgradeNoRequest, LogLevel.Debug, "A connection closed before its first request ({reason})")]
    public static partial void NoRequest(this ILogger logger, string reason);

    [ZLoggerMessage(EventIds.UpgradeAbandoned, LogLevel.Debug, "A connection went away during its WebSocket handshake ({errorType})")]
    public static partial void UpgradeAbandoned(this ILogger logger, string errorType);

    [ZLoggerMessage(EventIds.UpgradedBelowHttp, LogLevel.Debug, "WebSocket {connection} upgraded below Kestrel; writes to the raw socket")]
    public static partial void UpgradedBelowHttp(this ILogger logger, long connection);

    [ZLoggerMessage(EventIds.AcceptFailed, LogLevel.Warning, "Accepting connections fails ({error}: {message}); retrying every 100 ms (logged at most every 10 s)")]
    public static partial void AcceptFailed(this ILogger logger, string error, string message);
}
