using AotStreaming.Delivery;
using AotStreaming.Protocol;

namespace AotStreaming.Decoding;

/// <summary>Picks the cached frame variant of an event for one subscription.</summary>
internal static class Frames
{
    public static byte[] For(StreamEvent streamEvent, Subscription subscription, ReadOnlySpan<byte> filtered) =>
        For(streamEvent, subscription.Connection.Transport, subscription.StreamArray, filtered);

    /// <summary>The same, from a subscription's transport and stream array kept elsewhere (no subscription object to load).</summary>
    public static byte[] For(StreamEvent streamEvent, Transport transport, byte[] streamArray, ReadOnlySpan<byte> filtered) =>
        transport == Transport.WebSocket
            ? streamEvent.GetWebSocketFrame(streamArray, filtered)
            : streamEvent.GetSseFrame(filtered);
}
