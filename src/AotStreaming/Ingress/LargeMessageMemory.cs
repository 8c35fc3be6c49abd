using System.Runtime;
using System.Runtime.InteropServices;

namespace AotStreaming.Ingress;

/// <summary>
/// Gives the memory of large messages back to the system after a burst. A 20 MB status costs several times its
/// size in large-object-heap arrays (the message, its decoded payload, its WebSocket and SSE frames; since frames
/// are written at their final size, RSS right after three paced 20 MB statuses is 211 MB instead of 310 MB), which
/// only a gen2 collection frees; an idle server may run none for hours, so RSS stayed near 600 MB after three such messages
/// (issue 10 item 6). Once large messages stop for a few seconds, one aggressive, compacting collection frees and
/// decommits them; a second one later catches frames that slow clients were still being sent. It can only free what
/// nothing references: large frames now reach Kestrel's pipes in slices (Delivery.PipeSlices) and the outbox no longer
/// keeps written frames, and with both RSS came back to 1.05× of its pre-burst value after three paced 20 MB messages
/// (LargeMessageTests asserts 1.5×). Normal traffic never reaches the threshold.
/// </summary>
internal sealed class LargeMessageMemory : IDisposable
{
    /// <summary>1 MiB: far above any normal status (a few KB), far below a burst that moves RSS.</summary>
    public const int LargeMessageBytes = 1024 * 1024;

    // 5 s without another large message: the burst is over and most recipients have their frames. 25 s later, a
    // second pass for clients that took longer (anything slower is dropped at WriteTimeoutSeconds, 30 s).
    private static readonly TimeSpan s_quiet = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_second = TimeSpan.FromSeconds(25);

    private readonly Timer _timer;
    private int _passesLeft;

    public LargeMessageMemory() => _timer = new Timer(_ => Reclaim(), null, Timeout.Infinite, Timeout.Infinite);

    /// <summary>Called for every Redis message, on the read loop: one comparison unless the message is large.</summary>
    public void Observe(int length)
    {
        if (length >= LargeMessageBytes)
        {
            Volatile.Write(ref _passesLeft, 2);
            _timer.Change(s_quiet, Timeout.InfiniteTimeSpan);
        }
    }

    private void Reclaim()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        // Aggressive: also decommits the freed regions, which is what brings RSS down (a plain gen2 keeps them).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (Interlocked.Decrement(ref _passesLeft) > 0)
        {
            _timer.Change(s_second, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose() => _timer.Dispose();

    /// <summary>From 4 MiB a payload spans at least one whole 2 MiB huge page; below, advice could not apply.</summary>
    private const int HugePageAdviceBytes = 4 * 1024 * 1024;

    private const nint HugePageBytes = 2 * 1024 * 1024;

    private const int MadvHugePage = 14;

    /// <summary>
    /// The array a payload of <paramref name="length"/> bytes is read into, uninitialized (every byte is overwritten,
    /// and zeroing would only delay draining the socket). A large one is advised into transparent huge pages first:
    /// the read thread writes it while Redis waits on the socket, and on fresh memory this VM took a page fault per
    /// 4 KiB, 49-55 ms per 20 MB (the reads of one message then stalled long enough for Redis' 32 MB pubsub limit to
    /// close the subscriber); with the advice the same first touch took 1.6-3 ms (one fault per 2 MiB). Debian's
    /// default <c>transparent_hugepage=madvise</c> honours it; elsewhere the advice fails harmlessly. Only the
    /// advice's range is affected: the memory is still the GC's, freed with the array, and handed back by the
    /// reclaim above.
    /// </summary>
    public static byte[] AllocatePayload(int length)
    {
        var payload = GC.AllocateUninitializedArray<byte>(length);
        if (length >= HugePageAdviceBytes && OperatingSystem.IsLinux())
        {
            AdviseHugePages(payload);
        }

        return payload;
    }

    private static void AdviseHugePages(byte[] array)
    {
        var pin = GCHandle.Alloc(array, GCHandleType.Pinned);
        try
        {
            // Whole huge pages inside the array only: the advice must not reach memory the array does not own.
            var start = pin.AddrOfPinnedObject();
            var first = (start + HugePageBytes - 1) & ~(HugePageBytes - 1);
            var last = (start + array.Length) & ~(HugePageBytes - 1);
            if (last > first)
            {
                _ = Madvise(first, (nuint)(last - first), MadvHugePage);
            }
        }
        finally
        {
            pin.Free();
        }
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(nint address, nuint length, int advice);
}
