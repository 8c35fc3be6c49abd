using AotStreaming.Delivery;
using AotStreaming.Protocol;

namespace AotStreaming.Decoding;

/// <summary>
/// Picks the cached frame variant of an event for one subscription, from the subscription's transport and stream
/// array as the dispatcher keeps them (no subscription object to load per recipient).
/// </summary>
internal static class Frames
{
    public static byte[] For(StreamEvent streamEvent, Transport transport, byte[] streamArray, ReadOnlySpan<byte> filtered) =>
        transport == Transport.WebSocket
            ? streamEvent.GetWebSocketFrame(streamArray, filtered)
            : streamEvent.GetSseFrame(filtered);
}
