using AotStreaming.Delivery;
using AotStreaming.Protocol;

namespace AotStreaming.Decoding;

/// <summary>Picks the cached frame variant of an event for one subscription.</summary>
internal static class Frames
{
    public static byte[] For(StreamEvent streamEvent, Subscription subscription, ReadOnlySpan<byte> filtered) =>
        subscription.Connection.Transport == Transport.WebSocket
            ? streamEvent.GetWebSocketFrame(subscription.StreamArray, filtered)
            : streamEvent.GetSseFrame(filtered);
}
