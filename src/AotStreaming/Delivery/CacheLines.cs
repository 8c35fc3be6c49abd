using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace AotStreaming.Delivery;

/// <summary>
/// Asks the CPU to start loading an object's first cache lines while the caller still works on something else.
/// A broadcast visits thousands of connections, each on its own heap pages, and between two of them the kernel's
/// send path evicts them from the caches: perf put most of <c>Dispatcher.Deliver</c>'s own time on the first load
/// from each connection, and more on the loads of the objects a send goes through (outbox, gate, writer, socket).
/// A dispatcher therefore asks for them a few recipients ahead (<see cref="ClientConnection.PrefetchSendPath"/>).
/// A prefetch never faults and never changes what the program computes; where the CPU has no prefetch instruction
/// we can call (ARM64 in .NET) this does nothing.
/// </summary>
internal static class CacheLines
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(object? instance)
    {
        if (Sse.IsSupported && instance is not null)
        {
            // The object's address as it is now: if the GC moves it before the load, the prefetch was merely wasted.
            var address = (byte*)Unsafe.As<object, nint>(ref instance);
            Sse.Prefetch0(address);
            Sse.Prefetch0(address + 64);
        }
    }
}
