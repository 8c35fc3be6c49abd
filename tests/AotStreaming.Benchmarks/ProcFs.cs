using System.Globalization;

namespace AotStreaming.Benchmarks;

/// <summary>Reads another process's memory and CPU from /proc (Linux only, like the server).</summary>
internal static class ProcFs
{
    // USER_HZ is 100 on every Linux architecture we run on (x86-64, arm64); /proc/pid/stat counts in it.
    private const double ClockTicksPerSecond = 100;

    /// <summary>VmRSS (resident now) in bytes, or 0 if the process is gone.</summary>
    public static long ReadRssBytes(int pid) => ReadStatusKilobytes(pid, "VmRSS:") * 1024;

    /// <summary>VmHWM (peak resident set) in bytes, or 0 if the process is gone.</summary>
    public static long ReadPeakRssBytes(int pid) => ReadStatusKilobytes(pid, "VmHWM:") * 1024;

    /// <summary>utime + stime of the process (its threads included), in seconds.</summary>
    public static double ReadCpuSeconds(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return 0;
        }

        // Field 2 (comm) may contain spaces and parentheses: count fields after the last ')'.
        // After it come field 3 (state) onwards; utime and stime are fields 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[14 - 3], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
        return (utime + stime) / ClockTicksPerSecond;
    }

    private static long ReadStatusKilobytes(int pid, string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var value = line.AsSpan(key.Length).Trim();
                    return long.Parse(value[..value.IndexOf(' ')], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
