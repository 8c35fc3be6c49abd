using System.Net.WebSockets;
using AotStreaming.Auth;
using AotStreaming.Delivery;
using AotStreaming.Diagnostics;
using AotStreaming.Dispatch;
using AotStreaming.Protocol;
using AotStreaming.Routing;
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
    public async Task HandleAsync(HttpContext context)
    {
        AuthenticatedUser user;
        try
        {
            user = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted);
        }
        catch (StreamingRequestException ex)
        {
            logger.RequestRejected(context.TraceIdentifier, ex.Status, ex.Message);
            await HttpResponses.RejectUpgrade(context, ex.Status, ex.Message);
            return;
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            logger.RequestFailed(context.TraceIdentifier, ex.GetType().Name, ex.Message);
            await HttpResponses.RejectUpgrade(context, 500, StreamingRequestException.Unexpected);
            return;
        }

        if (WebSocketHandshake.Validate(context.Request, out var subprotocol) is { } rejection)
        {
            logger.HandshakeRejected(context.TraceIdentifier, rejection.Status, rejection.Reason);
            await HttpResponses.RejectHandshakeAsync(context, rejection);
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            // What the checks above let through and Kestrel still cannot upgrade (an HTTP/1.0 request).
            await HttpResponses.RejectHandshakeAsync(context, new WebSocketHandshake.Rejection(400, "Bad Request"));
            return;
        }

        if (limiter.TryEnter(context) is { } refusal)
        {
            await HttpResponses.RejectUpgrade(context, 429, refusal);
            return;
        }

        try
        {
            var delivery = deliveryOptions.Value;
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                // ws echoes the first offered protocol (reference §3.1); the token, when it is sent as one.
                SubProtocol = subprotocol,
                // Off: WebSocketPinger pings and terminates by upstream's rule; the runtime's keep-alive would add
                // its own pings (or unsolicited pongs) on a schedule of its own.
                KeepAliveInterval = TimeSpan.Zero,
            });
            // Always ours: StreamingApp installs the feature for every upgradable request.
            var stream = (context.Features.Get<IHttpUpgradeFeature>() as WebSocketUpgradeFeature)?.Stream
                ?? throw new InvalidOperationException("the upgraded stream was not created by WebSocketUpgradeFeature");
            var connection = new WebSocketClient(socket, stream, user, delivery, metrics) { DispatcherIndex = dispatchers.Assign() };
            var session = new WebSocketSession(connection, resolver, new SubscriptionSet(dispatchers, index, metrics), metrics, limitsOptions.Value, TimeSpan.FromSeconds(delivery.CloseGraceSeconds), logger);
            tracker.Opened(connection, context.Request.Query["stream"].ToString());
            try
            {
                await session.RunAsync(context.Request.Query, context.RequestAborted);
            }
            finally
            {
                tracker.Closed(connection);
            }
        }
        finally
        {
            limiter.Leave(context);
        }
    }
}
