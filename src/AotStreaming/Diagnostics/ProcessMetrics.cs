using System.Diagnostics;
using System.Text;

namespace AotStreaming.Diagnostics;

/// <summary>The <c>process_*</c> family prom-client exposes upstream, read from /proc and the runtime.</summary>
internal static class ProcessMetrics
{
    public static void Write(StringBuilder b)
    {
        using var process = Process.GetCurrentProcess();
        var user = process.UserProcessorTime.TotalSeconds;
        var system = process.PrivilegedProcessorTime.TotalSeconds;
        PrometheusText.Unlabelled(b, "process_cpu_user_seconds_total", "counter", "Total user CPU time spent in seconds.", user);
        PrometheusText.Unlabelled(b, "process_cpu_system_seconds_total", "counter", "Total system CPU time spent in seconds.", system);
        PrometheusText.Unlabelled(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", user + system);
        PrometheusText.Unlabelled(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", Math.Round(new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0, 3));
        PrometheusText.Unlabelled(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", process.WorkingSet64);
        PrometheusText.Unlabelled(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", process.VirtualMemorySize64);
        PrometheusText.Unlabelled(b, "process_heap_bytes", "gauge", "Process heap size in bytes.", GC.GetTotalMemory(false));
        // Not upstream's: what the bench divides by deliveries (bytes allocated per delivery), and what an operator
        // tuning the GC (README, Performance) watches.
        PrometheusText.Unlabelled(b, "aot_streaming_gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since start.", GC.GetTotalAllocatedBytes(precise: false));
        PrometheusText.Header(b, "aot_streaming_gc_collections_total", "counter", "Garbage collections since start, by generation (a gen 1 collection counts in gen 0 too).");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            PrometheusText.Line(b, "aot_streaming_gc_collections_total", $"generation=\"{generation}\"", GC.CollectionCount(generation));
        }

        PrometheusText.Unlabelled(b, "process_open_fds", "gauge", "Number of open file descriptors.", CountOpenFds());
        PrometheusText.Unlabelled(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.", MaxFds());
    }

    private static int CountOpenFds()
    {
        try
        {
            return Directory.GetFileSystemEntries("/proc/self/fd").Length;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static double MaxFds()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return double.TryParse(parts[3], out var soft) ? soft : 0;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
