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
        PrometheusText.Header(b, "process_cpu_user_seconds_total", "counter", "Total user CPU time spent in seconds.");
        PrometheusText.Line(b, "process_cpu_user_seconds_total", null, user);
        PrometheusText.Header(b, "process_cpu_system_seconds_total", "counter", "Total system CPU time spent in seconds.");
        PrometheusText.Line(b, "process_cpu_system_seconds_total", null, system);
        PrometheusText.Header(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
        PrometheusText.Line(b, "process_cpu_seconds_total", null, user + system);
        PrometheusText.Header(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
        PrometheusText.Line(b, "process_start_time_seconds", null, Math.Round(new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0, 3));
        PrometheusText.Header(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        PrometheusText.Line(b, "process_resident_memory_bytes", null, process.WorkingSet64);
        PrometheusText.Header(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        PrometheusText.Line(b, "process_virtual_memory_bytes", null, process.VirtualMemorySize64);
        PrometheusText.Header(b, "process_heap_bytes", "gauge", "Process heap size in bytes.");
        PrometheusText.Line(b, "process_heap_bytes", null, GC.GetTotalMemory(false));
        PrometheusText.Header(b, "process_open_fds", "gauge", "Number of open file descriptors.");
        PrometheusText.Line(b, "process_open_fds", null, CountOpenFds());
        PrometheusText.Header(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
        PrometheusText.Line(b, "process_max_fds", null, MaxFds());
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
