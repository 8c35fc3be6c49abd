using System.Numerics;

namespace AotStreaming.Diagnostics;

/// <summary>
/// A few counters bumped on every delivery from several threads at once (dispatchers, writer loops), kept once per
/// stripe: a thread adds to the stripe of the core it runs on, so two cores never fight over one cache line, and a
/// read (a metrics scrape) sums the stripes. One shared set of counters cost every delivery an interlocked add on a
/// line that the other core had just written.
/// </summary>
internal sealed class StripedCells
{
    // Longs per cache line: each stripe starts on its own line, and the first one after the array's header.
    private const int LineLongs = 8;

    private static readonly int s_stripeMask = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount, 1, 16)) - 1;

    private readonly long[] _cells;
    private readonly int _stride;

    public StripedCells(int cellsPerStripe)
    {
        _stride = (cellsPerStripe + LineLongs - 1) / LineLongs * LineLongs;
        _cells = new long[LineLongs + (_stride * (s_stripeMask + 1))];
    }

    /// <summary>Where the calling thread's stripe starts; pass it to <see cref="Add"/> for each cell it bumps.</summary>
    public int CurrentStripe => LineLongs + ((Thread.GetCurrentProcessorId() & s_stripeMask) * _stride);

    public void Add(int stripe, int cell, long value) => Interlocked.Add(ref _cells[stripe + cell], value);

    public long Sum(int cell)
    {
        long total = 0;
        for (var stripe = LineLongs; stripe < _cells.Length; stripe += _stride)
        {
            total += Interlocked.Read(ref _cells[stripe + cell]);
        }

        return total;
    }
}
