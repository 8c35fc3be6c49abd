using System.Net.Sockets;
using System.Net.WebSockets;
using AotStreaming.Auth;
using AotStreaming.Delivery;
using AotStreaming.Diagnostics;
using AotStreaming.Dispatch;
using AotStreaming.Protocol;
using AotStreaming.Routing;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AotStreaming.Endpoints;

/// <summary>
/// Any upgrade request, on any path (reference §3.1): authenticate before the handshake, reject with
/// <c>X-Error-Message</c>, then check the handshake as ws does (<see cref="WebSocketHandshake"/>), echo the first
/// offered subprotocol, and run the session.
/// </summary>
internal sealed class WebSocketEndpoint(
    TokenAuthenticator authenticator,
    ChannelResolver resolver,
    DispatcherPool dispatchers,
    SubscriptionIndex index,
    ConnectionTracker tracker,
    ConnectionLimiter limiter,
    StreamingMetrics metrics,
    IOptions<DeliveryOptions> deliveryOptions,
    IOptions<LimitsOptions> limitsOptions,
    ILogger<WebSocketEndpoint> logger)
{
    /// <summary>An upgrade through Kestrel's HTTP layer: a later request on a kept-alive connection, or one <see cref="ConnectionUpgrade"/> did not take.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var (admitted, refusal) = await AdmitAsync(context, context.WebSockets.IsWebSocketRequest);
        if (refusal is not null)
        {
            await (refusal.Handshake is { } handshake
                ? HttpResponses.RejectHandshakeAsync(context, handshake)
                : HttpResponses.RejectUpgrade(context, refusal.Status, refusal.Message));
            return;
        }

        try
        {
            var delivery = deliveryOptions.Value;
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                // ws echoes the first offered protocol (reference §3.1); the token, when it is sent as one.
                SubProtocol = admitted!.Subprotocol,
                // Off: WebSocketPinger pings and terminates by upstream's rule; the runtime's keep-alive would add
                // its own pings (or unsolicited pongs) on a schedule of its own.
                KeepAliveInterval = TimeSpan.Zero,
            });
            // Always ours: StreamingApp installs the feature for every upgradable request.
            var stream = (context.Features.Get<IHttpUpgradeFeature>() as WebSocketUpgradeFeature)?.Stream
                ?? throw new InvalidOperationException("the upgraded stream was not created by WebSocketUpgradeFeature");
            var connection = new WebSocketClient(socket, stream, admitted.User, delivery, metrics);
            UseRawSocketIfPossible(context, stream, delivery, connection.Id);
            await RunSessionAsync(connection, WebSocketSession.InitialStream.From(context.Request.Query), context.RequestAborted);
        }
        finally
        {
            limiter.Leave(admitted!.Address);
        }
    }

    /// <summary>
    /// An upgrade <see cref="ConnectionUpgrade"/> took before Kestrel saw the connection: <paramref name="context"/>
    /// carries only the parsed request; the answer (101 or refusal) and every frame go straight to
    /// <paramref name="socket"/>, and frames are read from it too. The request is let go once the session starts, so
    /// an open connection holds the socket and our objects only. True: the session has started and closes the socket
    /// when it ends; false (refused): the caller closes it.
    /// </summary>
    public async Task<bool> HandleBelowKestrelAsync(HttpContext? context, Socket socket)
    {
        var delivery = deliveryOptions.Value;
        // Owning the socket: the runtime WebSocket's abort (disposing the stream) closes it, which ends a pending read.
        var input = new NetworkStream(socket, FileAccess.Read, ownsSocket: true);
        var writer = RawSocketWriter.TryCreate(socket, isTls: false, isHttp11: true, delivery, out var reason)
            ?? throw new InvalidOperationException("ConnectionUpgrade took a connection without raw socket writes: " + reason);
        var requestId = context!.TraceIdentifier;
        var (admitted, refusal) = await AdmitAsync(context, runtimeCanUpgrade: true);
        if (refusal is not null)
        {
            await writer.WriteAsync(UpgradeResponses.Refusal(requestId, refusal.Status, refusal.Message, refusal.Handshake), CancellationToken.None);
            return false;
        }

        WebSocket? socketStream = null;
        try
        {
            await writer.WriteAsync(UpgradeResponses.SwitchingProtocols(requestId, context.Request.Headers.SecWebSocketKey.ToString(), admitted!.Subprotocol), CancellationToken.None);
            var stream = new WebSocketTransportStream(input);
            stream.UseRawSocket(writer);
            socketStream = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
            {
                IsServer = true,
                SubProtocol = admitted.Subprotocol,
                KeepAliveInterval = TimeSpan.Zero,
            });
            var connection = new WebSocketClient(socketStream, stream, admitted.User, delivery, metrics);
            logger.UpgradedBelowHttp(connection.Id);
            var initial = WebSocketSession.InitialStream.From(context.Request.Query);
            // Not awaited: the session can last for days, and this method's and the caller's state machines would be
            // held for all of it (about 340 bytes per idle socket). The session ends the socket itself.
            // No abort token: a vanished peer ends the session's read.
            _ = NewSession(connection, new BelowKestrelSessionEnd(socketStream, socket, limiter, admitted.Address)).RunAsync(initial, CancellationToken.None);
            return true;
        }
        catch
        {
            socketStream?.Dispose();
            limiter.Leave(admitted!.Address);
            throw;
        }
    }

    /// <summary>
    /// Everything decided before the 101, in upstream's order: authentication (a failure is an upgrade rejection with
    /// <c>X-Error-Message</c>), the handshake checks of ws, then our connection limits.
    /// </summary>
    private async Task<(Admission? Admitted, Refusal? Refused)> AdmitAsync(HttpContext context, bool runtimeCanUpgrade)
    {
        AuthenticatedUser user;
        try
        {
            user = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted);
        }
        catch (Exception ex) when (RequestFailure.IsAnswerable(ex, context))
        {
            var failure = RequestFailure.From(ex, context, logger);
            return (null, new Refusal(failure.Status, failure.Message));
        }

        if (WebSocketHandshake.Validate(context.Request, out var subprotocol) is { } rejection)
        {
            logger.HandshakeRejected(context.TraceIdentifier, rejection.Status, rejection.Reason);
            return (null, new Refusal(rejection.Status, rejection.Reason, rejection));
        }

        if (!runtimeCanUpgrade)
        {
            // What the checks above let through and Kestrel still cannot upgrade (an HTTP/1.0 request).
            var badRequest = new WebSocketHandshake.Rejection(400, "Bad Request");
            return (null, new Refusal(badRequest.Status, badRequest.Reason, badRequest));
        }

        if (limiter.TryEnter(context, out var address) is { } limited)
        {
            return (null, new Refusal(429, limited));
        }

        return (new Admission(user, address, subprotocol), null);
    }

    // Not async: the session's own state machine is the only one an open connection holds for this step.
    private Task RunSessionAsync(WebSocketClient connection, WebSocketSession.InitialStream? initial, CancellationToken aborted) =>
        NewSession(connection, ended: null).RunAsync(initial, aborted);

    private WebSocketSession NewSession(WebSocketClient connection, IDisposable? ended) =>
        new(connection, resolver, new SubscriptionSet(dispatchers, index, metrics), tracker, metrics, limitsOptions.Value, TimeSpan.FromSeconds(deliveryOptions.Value.CloseGraceSeconds), logger, ended);

    /// <summary>
    /// What a session served below Kestrel releases when it ends, in this order: the runtime WebSocket, the limiter's
    /// place for the address, the socket (shut down, then closed).
    /// </summary>
    private sealed class BelowKestrelSessionEnd(WebSocket webSocket, Socket socket, ConnectionLimiter limiter, string address) : IDisposable
    {
        public void Dispose()
        {
            webSocket.Dispose();
            limiter.Leave(address);
            ConnectionUpgrade.Close(socket);
        }
    }

    /// <summary>An admitted upgrade: who, the limiter's address key (released when the session ends), the subprotocol to echo.</summary>
    private sealed record Admission(AuthenticatedUser User, string Address, string? Subprotocol);

    /// <summary>A refused upgrade: an upgrade rejection (<c>X-Error-Message</c>), or one of ws' handshake refusals.</summary>
    private sealed record Refusal(int Status, string Message, WebSocketHandshake.Rejection? Handshake = null);

    /// <summary>
    /// After the 101 response, frames may bypass Kestrel's output pipe (<see cref="RawSocketWriter"/>); Kestrel passes
    /// its connection features, the socket among them, through to the request's.
    /// </summary>
    private void UseRawSocketIfPossible(HttpContext context, WebSocketTransportStream stream, DeliveryOptions delivery, long connectionId)
    {
        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (RawSocketWriter.TryCreate(socket, context.Request.IsHttps, HttpProtocol.IsHttp11(context.Request.Protocol), delivery, out var reason) is { } writer)
        {
            stream.UseRawSocket(writer);
            logger.RawSocketWrites(connectionId);
        }
        else
        {
            logger.PipeWrites(connectionId, reason!);
        }
    }
}
