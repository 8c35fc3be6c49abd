namespace AotStreaming.Benchmarks;

/// <summary>Everything measured in one publishing window; filled by <see cref="LoadSession"/>, printed by <see cref="Report"/>.</summary>
internal sealed class PhaseResult
{
    public required string Label { get; init; }

    public required string Stream { get; init; }

    public int WebSocketClients { get; init; }

    public int SseClients { get; init; }

    public int ConnectFailures { get; init; }

    public double ConnectSeconds { get; init; }

    public int StalledClients { get; init; }

    /// <summary>Stalled clients the server closed (close frame, end of stream or reset), found when they read again.</summary>
    public int StalledClosedByServer { get; set; }

    public int StalledStillOpen { get; set; }

    /// <summary>Healthy clients whose stream ended during the window.</summary>
    public int HealthyDisconnected { get; init; }

    /// <summary>The commonest reasons reading clients' streams ended, with counts.</summary>
    public IReadOnlyList<string> DisconnectReasons { get; init; } = [];

    public long Published { get; init; }

    /// <summary>Total size of the session's published envelopes, warm-up included: what a stalled client was offered.</summary>
    public long OfferedBytesPerClient { get; init; }

    public double TargetRate { get; init; }

    public double PublishSeconds { get; init; }

    public long Delivered { get; init; }

    public long Expected { get; init; }

    /// <summary>Sum over reading clients of statuses they should have had but did not get.</summary>
    public long Missing { get; init; }

    /// <summary>Sum over reading clients of statuses beyond what they should get (filtering leaks, duplicates).</summary>
    public long Extra { get; init; }

    public long FilterMatches { get; init; }

    public long FilterMatchesExpected { get; init; }

    public long OutOfOrder { get; init; }

    /// <summary>From the first publish to the last delivery (or the end of the drain wait).</summary>
    public double DeliverySeconds { get; init; }

    public double DeliveriesPerSecond => DeliverySeconds > 0 ? Delivered / DeliverySeconds : 0;

    public double P50Ms { get; init; }

    public double P90Ms { get; init; }

    public double P99Ms { get; init; }

    public double MaxMs { get; init; }

    public long IdleRssBytes { get; init; }

    public long ConnectedRssBytes { get; init; }

    public long PeakRssBytes { get; init; }

    public long EndRssBytes { get; init; }

    /// <summary>Server CPU during the window (utime + stime).</summary>
    public double ServerCpuSeconds { get; init; }

    public double ServerCpuTotalSeconds { get; init; }

    /// <summary>The server's allocations and collections during the window; null for servers without our GC metrics.</summary>
    public GcCounters? ServerGc { get; init; }

    /// <summary>This process's CPU during the window.</summary>
    public double ToolCpuSeconds { get; init; }

    public double WallSeconds { get; init; }

    public bool ServerExited { get; init; }

    /// <summary>True when the load tool, not the server, probably limited the numbers.</summary>
    public bool ToolLikelyBottleneck => ToolCpuSeconds >= ServerCpuSeconds && Environment.ProcessorCount <= 2 && ServerCpuSeconds > 0.5;

    /// <summary>Both processes together used (nearly) every core.</summary>
    public bool MachineSaturated => WallSeconds > 0 && (ToolCpuSeconds + ServerCpuSeconds) / WallSeconds >= 0.9 * Environment.ProcessorCount;
}
