using System.Diagnostics;

namespace AotStreaming.Benchmarks;

/// <summary>How a stalled client's connection ended, checked when it finally reads after the run.</summary>
internal enum StallOutcome
{
    NotChecked,

    /// <summary>Close frame, end of stream or reset: the server dropped the slow consumer.</summary>
    ClosedByServer,

    /// <summary>Still open and silent at the end of the check: the server kept it.</summary>
    StillOpen,
}

/// <summary>
/// One benchmark connection and its counters. Counters are written only by the client's own receive loop
/// and read by the progress reporter, so plain volatile reads are enough.
/// </summary>
internal abstract class BenchClient
{
    private int _delivered;
    private int _filterMatches;
    private int _outOfOrder;
    private long _lastId = -1;

    protected BenchClient(int index, ClientRole role, bool stalled, LatencyRecorder recorder)
    {
        Index = index;
        Role = role;
        Stalled = stalled;
        Recorder = recorder;
    }

    public int Index { get; }

    public ClientRole Role { get; }

    /// <summary>Connects, then never reads until <see cref="CheckStalledAsync"/>.</summary>
    public bool Stalled { get; }

    public abstract string Transport { get; }

    public bool Connected { get; protected set; }

    public string? ConnectError { get; protected set; }

    /// <summary>Set when a healthy client's stream ended before the run did.</summary>
    public string? Disconnected { get; protected set; }

    public StallOutcome StallOutcome { get; protected set; }

    public int Delivered => Volatile.Read(ref _delivered);

    public int FilterMatches => Volatile.Read(ref _filterMatches);

    /// <summary>Statuses whose id was not greater than the previous one (duplicates or reordering).</summary>
    public int OutOfOrder => Volatile.Read(ref _outOfOrder);

    protected LatencyRecorder Recorder { get; }

    public abstract Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Receive loop of a healthy client; returns when the stream ends or on cancellation.</summary>
    public abstract Task ReceiveAsync(CancellationToken cancellationToken);

    /// <summary>A stalled client reads everything the kernel buffered, to learn whether the server closed it.</summary>
    public abstract Task CheckStalledAsync(TimeSpan timeout);

    public abstract void Abort();

    /// <summary>Counts a delivered status; latency only counts while the client is a live reader.</summary>
    protected void OnStatus(in DeliveredStatus status, long nowTimestamp, bool recordLatency)
    {
        if (recordLatency)
        {
            Recorder.RecordSince(status.SentTimestamp, nowTimestamp);
        }

        if (status.Id <= _lastId)
        {
            Volatile.Write(ref _outOfOrder, _outOfOrder + 1);
        }

        _lastId = Math.Max(_lastId, status.Id);
        if (status.HasFilterMatch)
        {
            Volatile.Write(ref _filterMatches, _filterMatches + 1);
        }

        Volatile.Write(ref _delivered, _delivered + 1);
    }

    protected static long Now() => Stopwatch.GetTimestamp();
}
