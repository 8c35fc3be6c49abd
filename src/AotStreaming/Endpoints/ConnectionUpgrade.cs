using System.Net;
using System.Net.Sockets;
using AotStreaming.Delivery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AotStreaming.Endpoints;

/// <summary>
/// The first look at an accepted socket (<see cref="StreamingTransport"/>). An open WebSocket accepted through
/// Kestrel holds its socket connection (pipes, receiver, sender, their loops) and an HTTP request that never ends
/// (<c>Http1Connection</c>, header collections, <c>HttpContext</c>, the upgrade's stream objects): about 9 KB per
/// idle connection (README, Performance). So the first request is peeked at (<c>MSG_PEEK</c>: nothing is consumed)
/// and, when it is a plain WebSocket upgrade (<see cref="RequestHead"/>, and every check of
/// <see cref="WebSocketHandshake"/> passes), the head is read off and the connection is served on the bare socket
/// (<see cref="WebSocketEndpoint.HandleBelowKestrelAsync"/>).
/// <para>
/// Everything else goes to Kestrel untouched: other requests, a head that did not arrive in one piece, anything
/// unusual or refused by the handshake checks (Kestrel's path answers those exactly as before), and every later
/// request on a kept-alive connection. The head must have arrived whole by the first peek: true for nginx and for
/// clients whose head fits one TCP segment; a longer one only costs the saving.
/// </para>
/// </summary>
internal sealed class ConnectionUpgrade(WebSocketEndpoint webSockets, IOptions<DeliveryOptions> delivery, IOptions<LimitsOptions> limits, ILogger<ConnectionUpgrade> logger)
{
    // Larger than any head nginx or a client library sends for an upgrade; a larger head goes to Kestrel.
    private const int PeekBytes = 8 * 1024;

    /// <summary>
    /// Serves the connection here, or closes it, or hands it to Kestrel as it is; tells <paramref name="sorting"/>
    /// which, exactly once. The accept loop does not await it; no other state machine waits on it for the life of a
    /// WebSocket.
    /// </summary>
    public async Task ServeAsync(Socket socket, IConnectionSorting sorting)
    {
        if (!delivery.Value.UpgradeBelowHttpLayer || RawSocketWriter.TryCreate(socket, isTls: false, isHttp11: true, delivery.Value, out _) is null)
        {
            sorting.ToKestrel(socket);
            return;
        }

        RequestHead? head;
        try
        {
            // A zero-byte receive waits for the first bytes without a buffer: a buffer pinned for as long as a client
            // takes to send its request fragments the managed heap, thousands at a time during a reconnect storm.
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(sorting.Stopping))
            {
                deadline.CancelAfter(TimeSpan.FromSeconds(limits.Value.RequestHeadersTimeoutSeconds));
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, deadline.Token);
            }

            head = PeekHead(socket);
        }
        catch (OperationCanceledException) when (sorting.Stopping.IsCancellationRequested)
        {
            // Shutting down while this connection's request is still on its way: Kestrel takes it like any connection
            // accepted before its listener stopped (the restart's socket-activation guarantee: accepted is answered).
            sorting.ToKestrel(socket);
            return;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
        {
            // Nothing arrived within the headers timeout, or the peer went away first: Kestrel, too, closes such a
            // connection without an answer.
            logger.NoRequest(ex.GetType().Name);
            Close(socket);
            sorting.Kept();
            return;
        }

        var context = head is null ? null : RequestContext(head, socket);
        // Once stopping, a new WebSocket could start after the shutdown closed the others: Kestrel answers it instead.
        if (context is null || !IsPlainUpgrade(context.Request) || sorting.Stopping.IsCancellationRequested)
        {
            sorting.ToKestrel(socket);
            return;
        }

        sorting.Kept();
        var sessionOwnsSocket = false;
        try
        {
            // The head is already queued in the kernel, so this returns at once; what follows it (a first frame sent
            // without waiting for the 101) stays queued for the WebSocket.
            ConsumeHead(socket, head!.Length);
            // The handler lets the request go once the session runs; this method must not hold it either. It returns
            // once the session has started, and the session closes the socket when it ends.
            sessionOwnsSocket = await webSockets.HandleBelowKestrelAsync(Take(ref context), socket);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away during the handshake (its token lookup failed, or the 101 could not be sent).
            logger.UpgradeAbandoned(ex.GetType().Name);
        }
        finally
        {
            if (!sessionOwnsSocket)
            {
                Close(socket);
            }
        }
    }

    /// <summary>The request head as far as it has arrived, without consuming it (null: not ours, or not all there).</summary>
    private static RequestHead? PeekHead(Socket socket)
    {
        Span<byte> buffer = stackalloc byte[PeekBytes];
        var peeked = socket.Receive(buffer, SocketFlags.Peek);
        return peeked == 0 ? throw new IOException("the connection closed before a request") : RequestHead.TryParse(buffer[..peeked]);
    }

    private static void ConsumeHead(Socket socket, int length)
    {
        Span<byte> buffer = stackalloc byte[length];
        var read = socket.Receive(buffer);
        if (read != length)
        {
            throw new IOException($"read {read} of the {length} bytes peeked");
        }
    }

    internal static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already reset or closed.
        }

        socket.Dispose();
    }

    private static bool IsPlainUpgrade(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && WebSocketHandshake.IsUpgradeRequest(request) && WebSocketHandshake.Validate(request, out _) is null;

    private static HttpContext Take(ref HttpContext? context)
    {
        var taken = context!;
        context = null;
        return taken;
    }

    /// <summary>What the endpoint reads of a request, as Kestrel would present it: headers, query, peer address, a request id.</summary>
    private static HttpContext RequestContext(RequestHead head, Socket socket) =>
        new DefaultHttpContext(RequestFeatures(head, socket)) { TraceIdentifier = Guid.NewGuid().ToString() };

    private static FeatureCollection RequestFeatures(RequestHead head, Socket socket)
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
        var remote = socket.RemoteEndPoint as IPEndPoint;
        var local = socket.LocalEndPoint as IPEndPoint;
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
        {
            RemoteIpAddress = remote?.Address,
            RemotePort = remote?.Port ?? 0,
            LocalIpAddress = local?.Address,
            LocalPort = local?.Port ?? 0,
        });
        return features;
    }
}
