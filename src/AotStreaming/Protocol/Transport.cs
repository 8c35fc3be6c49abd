namespace AotStreaming.Protocol;

internal enum Transport
{
    WebSocket,
    EventSource,
}
