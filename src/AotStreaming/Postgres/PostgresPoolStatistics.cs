using System.Diagnostics.Metrics;

namespace AotStreaming.Postgres;

/// <summary>
/// Npgsql's pool counters for the <c>pg_pool_*</c> series. Npgsql publishes them as System.Diagnostics.Metrics
/// instruments on its "Npgsql" meter (idle/used connections, pending requests); we listen to that meter rather than
/// reach into the pool.
/// </summary>
internal sealed class PostgresPoolStatistics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private long _idle;
    private long _used;
    private long _pending;

    public PostgresPoolStatistics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Npgsql" && instrument.Name is "db.client.connections.usage" or "db.client.connection.count"
                or "db.client.connections.pending_requests" or "db.client.connection.pending_requests")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    public (long Idle, long Used, long Pending) Read()
    {
        lock (_lock)
        {
            _idle = _used = 0;
            _listener.RecordObservableInstruments();
            return (_idle, _used, _pending);
        }
    }

    private void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (instrument.Name.Contains("pending", StringComparison.Ordinal))
        {
            Interlocked.Add(ref _pending, value);
            return;
        }

        foreach (var tag in tags)
        {
            if (tag.Key is "state" or "db.client.connection.state" or "db.client.connections.state")
            {
                if (Equals(tag.Value, "idle"))
                {
                    Interlocked.Add(ref _idle, value);
                }
                else
                {
                    Interlocked.Add(ref _used, value);
                }
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
