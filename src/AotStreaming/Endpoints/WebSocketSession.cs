using System.Buffers;
using System.Net.WebSockets;
using AotStreaming.Delivery;
using AotStreaming.Diagnostics;
using AotStreaming.Protocol;
using AotStreaming.Routing;
using AotStreaming.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AotStreaming.Endpoints;

/// <summary>
/// One accepted WebSocket: the reader loop (client commands) beside the connection's writer loop. Error frames go
/// through <see cref="ClientConnection.Send"/> like events, so they keep their place among them, and closes through
/// <see cref="ClientConnection.Close(DisconnectReason)"/>, so the close frame is the last thing written.
/// </summary>
internal sealed class WebSocketSession(
    WebSocketClient connection,
    ChannelResolver resolver,
    SubscriptionSet subscriptions,
    ConnectionTracker tracker,
    StreamingMetrics metrics,
    LimitsOptions limits,
    TimeSpan closeGrace,
    ILogger logger,
    IDisposable? ended = null)
{
    public const string BinaryNotSupported = "The mastodon streaming server does not support binary messages";

    private double _tokens = limits.CommandBurst;
    private long _lastRefill = Environment.TickCount64;
    private readonly Throttle _rateLimitNotice = new(TimeSpan.FromSeconds(1));

    /// <summary>
    /// The subscription a <c>?stream=</c> query asks for at connect, read out of the request before the session runs
    /// so that nothing of the request is held for as long as the socket is open.
    /// </summary>
    internal readonly record struct InitialStream(string Name, StreamParameters Parameters)
    {
        public static InitialStream? From(IQueryCollection query) =>
            query["stream"] is { Count: > 0 } stream && !string.IsNullOrEmpty(stream[0])
                // ?stream= subscribes with the whole query as parameters; only_media is ignored over WebSocket.
                ? new InitialStream(stream[0]!, new StreamParameters(FromQuery(query, "tag"), FromQuery(query, "list")))
                : null;
    }

    /// <summary>The whole life of the connection, from <see cref="ConnectionTracker.Opened"/> to <see cref="ConnectionTracker.Closed"/>.</summary>
    public async Task RunAsync(InitialStream? initial, CancellationToken requestAborted)
    {
        tracker.Opened(connection, initial?.Name ?? "");
        using var aborted = requestAborted.Register(static state => ((ClientConnection)state!).Abort(), connection);
        var writer = connection.RunWriterAsync();
        try
        {
            await subscriptions.AddAsync(ChannelResolver.System(connection));
            if (initial is { } stream)
            {
                await SubscribeAsync(stream.Name, stream.Parameters, requestAborted);
            }

            var reading = ReadLoopAsync(requestAborted);
            if (await Task.WhenAny(reading, writer) == writer)
            {
                // The server closed (kill, slow, shutdown): give the client its close grace, then cut it off.
                await Task.WhenAny(reading, Task.Delay(closeGrace, CancellationToken.None));
                connection.Socket.Abort();
            }

            await reading;
        }
        catch (WebSocketException ex) when (IsProtocolViolation(ex))
        {
            // The runtime has already sent its close frame (1002 for a malformed frame, 1007 for invalid UTF-8).
            connection.Close(DisconnectReason.ProtocolError);
            logger.ProtocolViolation(connection.Id, ex.Message);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer reset or vanished: a normal end.
        }
        finally
        {
            try
            {
                connection.Close(DisconnectReason.ClientClosed);
                await subscriptions.RemoveAllAsync();
                await writer.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
            }
            catch (TimeoutException)
            {
                connection.Abort();
            }
            finally
            {
                tracker.Closed(connection);
                // A session nobody awaits (served below Kestrel) releases its socket itself.
                ended?.Dispose();
            }
        }
    }

    /// <summary>
    /// Client messages are tiny (a subscribe is under 200 bytes) and rare, while an idle socket waits for one for as
    /// long as it is connected. So the wait holds no buffer: a zero-byte receive waits for the next frame (the
    /// runtime then waits with a zero-byte read on the stream, without its header read and without the state
    /// machines behind it), and only a message that has arrived borrows a pooled buffer, a small one first and a
    /// large one when it outgrows that (never more than <see cref="LimitsOptions.MaxMessageBytes"/>).
    /// </summary>
    private const int SmallReceiveBuffer = 512;

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        var socket = connection.Socket;
        while (!connection.IsClosing)
        {
            // Pings and pongs are answered and counted inside this wait; it returns at a data or close frame.
            var result = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
            byte[]? buffer = null;
            var length = 0;
            try
            {
                while (true)
                {
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        connection.Close(DisconnectReason.ClientClosed);
                        return;
                    }

                    if (result.MessageType == WebSocketMessageType.Binary)
                    {
                        connection.Close(DisconnectReason.ProtocolError, WebSocketCloseStatus.InvalidMessageType, BinaryNotSupported);
                        return;
                    }

                    length += result.Count;
                    if (result.EndOfMessage)
                    {
                        break;
                    }

                    var capacity = buffer is null ? 0 : Math.Min(buffer.Length, limits.MaxMessageBytes);
                    if (length == capacity)
                    {
                        if (length >= limits.MaxMessageBytes)
                        {
                            metrics.RejectedSubscriptions.Increment();
                            connection.Close(DisconnectReason.Limit, WebSocketCloseStatus.MessageTooBig, "Message too big");
                            return;
                        }

                        var larger = ArrayPool<byte>.Shared.Rent(buffer is null ? Math.Min(SmallReceiveBuffer, limits.MaxMessageBytes) : limits.MaxMessageBytes);
                        if (buffer is not null)
                        {
                            buffer.AsSpan(0, length).CopyTo(larger);
                            ArrayPool<byte>.Shared.Return(buffer);
                        }

                        buffer = larger;
                        capacity = Math.Min(buffer.Length, limits.MaxMessageBytes);
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(length, capacity - length), cancellationToken);
                }

                if (ClientCommand.Parse(buffer is null ? ReadOnlyMemory<byte>.Empty : buffer.AsMemory(0, length)) is { } command)
                {
                    await HandleAsync(command, cancellationToken);
                }
            }
            finally
            {
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }

    private async Task HandleAsync(ClientCommand command, CancellationToken cancellationToken)
    {
        if (!TakeToken())
        {
            metrics.RejectedSubscriptions.Increment();
            // One notice per second, not one per rejected command: a client flooding commands without reading would
            // otherwise fill its own outbox with error frames and be dropped as slow, which tells it nothing.
            if (_rateLimitNotice.TryPass())
            {
                SendError("Too many requests", 429);
            }

            return;
        }

        if (command.Subscribe)
        {
            await SubscribeAsync(command.Stream, command.Parameters, cancellationToken);
        }
        else
        {
            await UnsubscribeAsync(command.Stream, command.Parameters, cancellationToken);
        }
    }

    private async Task SubscribeAsync(string? stream, StreamParameters parameters, CancellationToken cancellationToken)
    {
        try
        {
            if (!connection.User.CanRead(stream ?? ""))
            {
                throw StreamingRequestException.MissingScopes();
            }

            var subscription = await resolver.ResolveAsync(connection, stream ?? "", parameters, cancellationToken);
            if (subscriptions.Contains(subscription.Key))
            {
                return;
            }

            // +1: the two system channels count as one entry of the set.
            if (subscriptions.Count >= limits.MaxSubscriptionsPerConnection + 1)
            {
                metrics.RejectedSubscriptions.Increment();
                SendError("Too many subscriptions", 429);
                return;
            }

            await subscriptions.AddAsync(subscription);
            logger.Subscribed(connection.Id, subscription.ChannelName);
        }
        catch (StreamingRequestException ex)
        {
            SendError(ex.Message, ex.Status);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.SubscribeFailed(connection.Id, ex.GetType().Name, ex.Message);
            SendError(StreamingRequestException.Unexpected, 500);
        }
    }

    private async Task UnsubscribeAsync(string? stream, StreamParameters parameters, CancellationToken cancellationToken)
    {
        try
        {
            var subscription = await resolver.ResolveAsync(connection, stream ?? "", parameters, cancellationToken);
            await subscriptions.RemoveAsync(subscription.Key);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            connection.Send(WebSocketFrames.Error("Error unsubscribing from channel"), isEvent: false);
        }
    }

    private void SendError(string message, int status)
    {
        if (!connection.IsClosing && connection.Socket.State == WebSocketState.Open)
        {
            connection.Send(WebSocketFrames.Error(message, status), isEvent: false);
        }
    }

    /// <summary>Token bucket: <see cref="LimitsOptions.CommandBurst"/> at once, <see cref="LimitsOptions.CommandsPerSecond"/> sustained.</summary>
    private bool TakeToken()
    {
        var now = Environment.TickCount64;
        _tokens = Math.Min(limits.CommandBurst, _tokens + ((now - _lastRefill) / 1000.0 * limits.CommandsPerSecond));
        _lastRefill = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }

    /// <summary>
    /// A frame the runtime WebSocket refused: it closes with the code the RFC names and throws
    /// <see cref="WebSocketError.Faulted"/>. A missed pong is reported differently (cancellation, or this error with the
    /// keep-alive failure inside), and a vanished peer as <see cref="WebSocketError.ConnectionClosedPrematurely"/>.
    /// </summary>
    private static bool IsProtocolViolation(WebSocketException ex) =>
        ex.WebSocketErrorCode == WebSocketError.Faulted && ex.InnerException is not WebSocketException;

    /// <summary>Upstream parses the URL with <c>url.parse(url, true)</c>: a repeated parameter is an array, not a string.</summary>
    private static ParameterValue FromQuery(IQueryCollection query, string name) => query[name].Count switch
    {
        0 => ParameterValue.Absent,
        1 => ParameterValue.FromString(query[name][0]),
        _ => new ParameterValue(ParameterKind.Other, null, null),
    };
}
