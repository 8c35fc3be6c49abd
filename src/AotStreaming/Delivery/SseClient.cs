using System.Buffers;
using AotStreaming.Auth;
using AotStreaming.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace AotStreaming.Delivery;

/// <summary>An EventSource client: frames go to the response body, flushed once per drained batch.</summary>
internal sealed class SseClient(HttpContext context, AuthenticatedUser user, DeliveryOptions options, StreamingMetrics metrics)
    : ClientConnection(Transport.EventSource, user, options, metrics)
{
    protected override ValueTask WriteFrameAsync(byte[] frame, CancellationToken cancellationToken)
    {
        context.Response.BodyWriter.Write(frame);
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var result = await context.Response.BodyWriter.FlushAsync(cancellationToken);
        if (result.IsCanceled || result.IsCompleted)
        {
            throw new OperationCanceledException("response closed");
        }
    }

    protected override Task CloseTransportAsync(DisconnectReason reason, CancellationToken cancellationToken)
    {
        // kill and shutdown end the chunked body normally (res.end() upstream); a slow or stuck client is cut off,
        // since it would not read the terminating chunk anyway.
        if (reason is DisconnectReason.Slow or DisconnectReason.WriteTimeout)
        {
            AbortTransport();
        }

        return Task.CompletedTask;
    }

    protected override void AbortTransport() => context.Abort();
}
