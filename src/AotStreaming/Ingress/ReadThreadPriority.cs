using System.Runtime.InteropServices;

namespace AotStreaming.Ingress;

/// <summary>
/// Gives the calling thread (the subscriber's read thread) a negative nice value, so that the kernel runs it ahead
/// of everything else on a busy machine while Redis has data for it. Redis closes a subscriber whose unsent output
/// passes 32 MB, and on a 2-core machine the read thread of three 20 MB messages published back to back waited
/// 5-37 ms per 256 KiB read, runnable but not running, behind the server's own delivery of the previous message,
/// Redis, PostgreSQL and the clients (issue 10 item 6). At nice -10 the subscriber was kept in 41 of 41 such runs
/// (JIT build; 24 of 28 at nice 0, alternating); the native build still lost it about 1 run in 10, and its traces
/// show the thread waiting for Redis' data then, not for the CPU. The thread sleeps in the kernel whenever Redis is
/// quiet, so the priority costs other work nothing then. .NET's <see cref="Thread.Priority"/> does nothing on Linux.
/// </summary>
internal static class ReadThreadPriority
{
    private const int SchedOther = 0;
    private const ulong SchedFlagResetOnFork = 0x01;
    private const uint SchedAttrSize = 48;

    /// <summary>
    /// Sets <paramref name="nice"/> (below 0) on the calling thread. Returns 0 when set, or the errno that refused it:
    /// EPERM without CAP_SYS_NICE or an RLIMIT_NICE that allows it (systemd's <c>LimitNICE=</c>), and also when a
    /// seccomp filter blocks the call; ENOSYS before Linux 3.14. One <c>sched_setattr</c> sets the nice value and
    /// marks the thread reset-on-fork, so that a thread it happens to create (the thread pool starts workers from
    /// whichever thread queues work) starts at nice 0 instead of inheriting the raised priority. (Not setpriority plus
    /// sched_setscheduler: systemd's <c>RestrictRealtime=</c> refuses sched_setscheduler with the reset-on-fork
    /// bit, which it reads as an unknown policy.)
    /// </summary>
    public static int TryRaise(int nice)
    {
        if (nice >= 0 || !OperatingSystem.IsLinux() || SchedSetAttrNumber() is not { } number)
        {
            return 0;
        }

        var attributes = new SchedAttr
        {
            Size = SchedAttrSize,
            Policy = SchedOther,
            Flags = SchedFlagResetOnFork,
            Nice = nice,
        };
        return Syscall(number, 0, ref attributes, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>The symbolic name of the errno values <see cref="TryRaise"/> can return on Linux.</summary>
    public static string ErrorName(int errno) => errno switch
    {
        1 => "EPERM",
        22 => "EINVAL",
        38 => "ENOSYS",
        _ => "errno " + errno,
    };

    // glibc has no sched_setattr wrapper before 2.41 (Debian 12 ships 2.36), so it is called by number.
    private static long? SchedSetAttrNumber() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 314,
        Architecture.Arm64 => 274,
        _ => null,
    };

    /// <summary>struct sched_attr, version 0 (48 bytes): what a SCHED_OTHER thread needs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SchedAttr
    {
        public uint Size;
        public uint Policy;
        public ulong Flags;
        public int Nice;
        public uint Priority;
        public ulong Runtime;
        public ulong Deadline;
        public ulong Period;
    }

    // syscall(2) is variadic; on x86-64 and arm64 Linux these arguments travel in the same registers either way.
    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, int pid, ref SchedAttr attributes, uint flags);
}
