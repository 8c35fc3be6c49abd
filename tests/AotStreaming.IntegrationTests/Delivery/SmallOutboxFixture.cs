namespace AotStreaming.Delivery;

/// <summary>Outboxes of 16 frames / 64 KiB, and no per-address limit (hundreds of clients from 127.0.0.1).</summary>
public sealed class SmallOutboxFixture : ServerFixture
{
    public const long OutboxMaxBytes = 65536;

    protected override IEnumerable<string> Arguments =>
    [
        "--Streaming:Delivery:OutboxCapacity=16",
        $"--Streaming:Delivery:OutboxMaxBytes={OutboxMaxBytes}",
        "--Streaming:Limits:MaxConnectionsPerAddress=0",
    ];
}
