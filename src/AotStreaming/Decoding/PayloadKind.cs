namespace AotStreaming.Decoding;

internal enum PayloadKind
{
    /// <summary>A JSON object or array: sent to clients as its JSON text (a string in WebSocket frames).</summary>
    Json,

    /// <summary>A JSON string: sent raw (a <c>delete</c> id, <c>"1"</c> for <c>notifications_merged</c>).</summary>
    String,

    /// <summary>A truthy number or <c>true</c>: a bare JSON value in WebSocket frames, its text in SSE.</summary>
    Bare,
}
