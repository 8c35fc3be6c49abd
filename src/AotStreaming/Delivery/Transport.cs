namespace AotStreaming.Delivery;

internal enum Transport
{
    WebSocket,
    EventSource,
}
