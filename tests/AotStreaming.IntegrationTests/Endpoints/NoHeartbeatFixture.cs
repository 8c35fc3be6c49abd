namespace AotStreaming.Endpoints;

/// <summary>
/// A server whose SSE heartbeat is an hour away. The heartbeat comes from one global 15 s timer, so with the default
/// it lands inside an exact-bytes assertion about once in every few runs; SseHeartbeatTests cover the heartbeat itself.
/// </summary>
public sealed class NoHeartbeatFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments => ["--Streaming:Delivery:SseHeartbeatSeconds=3600"];
}
