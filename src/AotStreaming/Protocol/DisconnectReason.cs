namespace AotStreaming.Protocol;

/// <summary>Why a connection ended; the metric label is the lower-case name.</summary>
internal enum DisconnectReason
{
    /// <summary>The client closed, reset or vanished: normal.</summary>
    ClientClosed,

    /// <summary>The outbox filled (frames or bytes): the client reads slower than we publish.</summary>
    Slow,

    /// <summary>A batch could not be written within the write timeout.</summary>
    WriteTimeout,

    /// <summary><c>kill</c> on a system channel: token revoked, user disabled or suspended.</summary>
    Kill,

    /// <summary>The server is stopping.</summary>
    Shutdown,

    /// <summary>A per-connection limit was exceeded (message size, subscription count, rate).</summary>
    Limit,

    /// <summary>The client broke the protocol (binary frame, invalid UTF-8).</summary>
    ProtocolError,

    /// <summary>No pong within the keep-alive timeout.</summary>
    PingTimeout,
}
