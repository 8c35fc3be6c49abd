using System.IO.Pipelines;
using AotStreaming.Diagnostics;
using AotStreaming.Protocol;
using Microsoft.AspNetCore.Http;

namespace AotStreaming.Delivery;

/// <summary>An EventSource client: frames are written to the response body and flushed, one flush per batch (per slice of a large frame, <see cref="PipeSlices"/>).</summary>
internal sealed class SseClient(HttpContext context, AuthenticatedUser user, DeliveryOptions options, StreamingMetrics metrics)
    : ClientConnection(Transport.EventSource, user, options, metrics)
{
    protected override ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken) =>
        PipeSlices.WriteAsync(context.Response.BodyWriter, frames, s_writeAndFlush, cancellationToken);

    private static readonly Func<PipeWriter, ReadOnlyMemory<byte>, CancellationToken, ValueTask> s_writeAndFlush = WriteAndFlush;

    private static ValueTask WriteAndFlush(PipeWriter body, ReadOnlyMemory<byte> frames, CancellationToken cancellationToken)
    {
        var flush = body.WriteAsync(frames, cancellationToken);
        if (flush.IsCompletedSuccessfully)
        {
            return Check(flush.Result);
        }

        return AwaitAsync(flush);

        static async ValueTask AwaitAsync(ValueTask<FlushResult> flush) => await Check(await flush);
    }

    private static ValueTask Check(FlushResult result) =>
        result.IsCanceled || result.IsCompleted ? ValueTask.FromException(new OperationCanceledException("response closed")) : ValueTask.CompletedTask;

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
