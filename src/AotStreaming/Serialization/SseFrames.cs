namespace AotStreaming.Serialization;

/// <summary>
/// Server-sent events wire format of the Node server (reference §2.5): a <c>:)</c> comment line first, then per event
/// <c>event: NAME\n</c> and <c>data: PAYLOAD\n\n</c>, and <c>:thump\n\n</c> every 15 s. No <c>id:</c> or <c>retry:</c>.
/// </summary>
internal static class SseFrames
{
    public static ReadOnlySpan<byte> Preface => ":)\n"u8;

    public static ReadOnlySpan<byte> Heartbeat => ":thump\n\n"u8;

    public static ReadOnlySpan<byte> EventPrefix => "event: "u8;

    public static ReadOnlySpan<byte> DataPrefix => "\ndata: "u8;

    public static ReadOnlySpan<byte> EventEnd => "\n\n"u8;
}
