namespace AotStreaming.Diagnostics;

/// <summary>
/// A Prometheus histogram with fixed upper bounds; observations are lock-free and striped by core
/// (<see cref="StripedCells"/>), since the write-latency histogram takes one observation per delivery.
/// </summary>
internal sealed class Histogram
{
    private readonly double[] _upperBounds;
    private readonly StripedCells _cells;

    // Cells of a stripe: one per bucket (the last is +Inf), then the count, then the sum in microseconds.
    private readonly int _countCell;
    private readonly int _sumCell;

    public Histogram(double[] upperBounds)
    {
        _upperBounds = upperBounds;
        _countCell = upperBounds.Length + 1;
        _sumCell = _countCell + 1;
        _cells = new StripedCells(_sumCell + 1);
    }

    public IReadOnlyList<double> UpperBounds => _upperBounds;

    public long Count => _cells.Sum(_countCell);

    public double Sum => _cells.Sum(_sumCell) / 1_000_000.0;

    public void Observe(double value)
    {
        var i = 0;
        while (i < _upperBounds.Length && value > _upperBounds[i])
        {
            i++;
        }

        var stripe = _cells.CurrentStripe;
        _cells.Add(stripe, i, 1);
        _cells.Add(stripe, _countCell, 1);
        _cells.Add(stripe, _sumCell, (long)(value * 1_000_000));
    }

    /// <summary>Cumulative count of observations &lt;= <see cref="UpperBounds"/>[index] (index == Length: +Inf).</summary>
    public long CumulativeCount(int index)
    {
        long total = 0;
        for (var i = 0; i <= index; i++)
        {
            total += _cells.Sum(i);
        }

        return total;
    }
}
