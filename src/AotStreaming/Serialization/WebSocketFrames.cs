namespace AotStreaming.Serialization;

/// <summary>
/// WebSocket text frames of the Node server (reference §3.4): <c>{"stream":[..],"event":"..","payload":".."}</c>
/// with the keys in that order; error frames <c>{"error":"..","status":N}</c>.
/// </summary>
internal static class WebSocketFrames
{
    public static ReadOnlySpan<byte> StreamPrefix => "{\"stream\":"u8;

    public static ReadOnlySpan<byte> EventKey => ",\"event\":"u8;

    public static ReadOnlySpan<byte> PayloadKey => ",\"payload\":"u8;

    public static ReadOnlySpan<byte> FilteredKey => "\"filtered\":"u8;

    /// <summary>An error frame, framed for the wire (<see cref="WebSocketWireFrame"/>).</summary>
    public static byte[] Error(string message, int status) => WebSocketWireFrame.Text(
        System.Text.Encoding.UTF8.GetBytes($"{{\"error\":{System.Text.Encoding.UTF8.GetString(JsonStringLiteral.Encode(message))},\"status\":{status}}}"));

    /// <summary>An error frame without a status, framed for the wire.</summary>
    public static byte[] Error(string message) => WebSocketWireFrame.Text(
        System.Text.Encoding.UTF8.GetBytes($"{{\"error\":{System.Text.Encoding.UTF8.GetString(JsonStringLiteral.Encode(message))}}}"));
}
