using System.IO.Pipelines;
using System.Net;
using AotStreaming.Delivery;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AotStreaming.Endpoints;

/// <summary>
/// Kestrel connection middleware, in front of its HTTP layer. An open WebSocket accepted through that layer holds
/// an HTTP request that never ends: <c>Http1Connection</c>, header collections, <c>HttpContext</c>, the upgrade's
/// body and stream objects, about 6 KB per idle connection (README, Performance). So when a connection's first
/// request is a plain WebSocket upgrade (<see cref="RequestHead"/>, and every check of <see cref="WebSocketHandshake"/>
/// passes), it is answered here (<see cref="WebSocketEndpoint.HandleBelowHttpAsync"/>) and never reaches that layer.
/// <para>
/// Everything else goes to Kestrel untouched, the bytes read so far left in the pipe: other requests, a head that
/// did not arrive in one piece, anything unusual or refused by the handshake checks, and later requests on a
/// kept-alive connection; <see cref="WebSocketEndpoint.HandleAsync"/> answers those upgrades as before.
/// </para>
/// </summary>
internal sealed class ConnectionUpgrade(WebSocketEndpoint webSockets, IOptions<DeliveryOptions> delivery, IOptions<LimitsOptions> limits, ILogger<ConnectionUpgrade> logger)
{
    public async Task OnConnectedAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (!delivery.Value.UpgradeBelowHttpLayer || RawSocketWriter.TryCreate(socket, isTls: false, isHttp11: true, delivery.Value, out _) is null)
        {
            await next(connection);
            return;
        }

        var input = connection.Transport.Input;
        ReadResult first;
        try
        {
            first = await ReadFirstAsync(connection, input);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // Nothing arrived within the headers timeout, or the peer went away first: Kestrel, too, closes such a
            // connection without an answer.
            logger.NoRequest(connection.ConnectionId, ex.GetType().Name);
            return;
        }

        var buffer = first.Buffer;
        var head = buffer.IsSingleSegment ? RequestHead.TryParse(buffer.FirstSpan) : null;
        if (head is null || !IsPlainUpgrade(head))
        {
            input.AdvanceTo(buffer.Start);
            await next(connection);
            return;
        }

        input.AdvanceTo(buffer.GetPosition(head.Length));
        try
        {
            await webSockets.HandleBelowHttpAsync(RequestContext(head, connection), socket!, input);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException || connection.ConnectionClosed.IsCancellationRequested)
        {
            // The peer went away during the handshake (its token lookup was cancelled, or the 101 could not be sent).
            logger.UpgradeAbandoned(connection.ConnectionId, ex.GetType().Name);
        }
    }

    /// <summary>
    /// The first read, bounded by the headers timeout (<see cref="LimitsOptions.RequestHeadersTimeoutSeconds"/>,
    /// which Kestrel would otherwise apply) and by a graceful shutdown's request to close.
    /// </summary>
    private async ValueTask<ReadResult> ReadFirstAsync(ConnectionContext connection, PipeReader input)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(limits.Value.RequestHeadersTimeoutSeconds));
        using var closing = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested
            .Register(static state => ((CancellationTokenSource)state!).Cancel(), deadline);
        var result = await input.ReadAsync(deadline.Token);
        if (result.Buffer.IsEmpty && result.IsCompleted)
        {
            input.AdvanceTo(result.Buffer.End);
            throw new IOException("the connection closed before a request");
        }

        return result;
    }

    private static bool IsPlainUpgrade(RequestHead head)
    {
        var request = new DefaultHttpContext(RequestFeatures(head, null)).Request;
        return HttpMethods.IsGet(head.Method) && WebSocketHandshake.IsUpgradeRequest(request) && WebSocketHandshake.Validate(request, out _) is null;
    }

    /// <summary>What the endpoint reads of a request, as Kestrel would present it: headers, query, peer address, abort token, a request id.</summary>
    private static HttpContext RequestContext(RequestHead head, ConnectionContext connection) =>
        new DefaultHttpContext(RequestFeatures(head, connection)) { TraceIdentifier = Guid.NewGuid().ToString() };

    private static FeatureCollection RequestFeatures(RequestHead head, ConnectionContext? connection)
    {
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Protocol = "HTTP/1.1",
            Scheme = "http",
            Method = head.Method,
            Path = head.Path,
            QueryString = head.QueryString,
            RawTarget = head.Target,
            Headers = head.Headers,
        });
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        if (connection is not null)
        {
            features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
            {
                ConnectionId = connection.ConnectionId,
                RemoteIpAddress = (connection.RemoteEndPoint as IPEndPoint)?.Address,
                RemotePort = (connection.RemoteEndPoint as IPEndPoint)?.Port ?? 0,
                LocalIpAddress = (connection.LocalEndPoint as IPEndPoint)?.Address,
                LocalPort = (connection.LocalEndPoint as IPEndPoint)?.Port ?? 0,
            });
            features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = connection.ConnectionClosed });
        }

        return features;
    }
}
