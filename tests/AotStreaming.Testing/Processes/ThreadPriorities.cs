namespace AotStreaming.Testing.Processes;

/// <summary>Nice values of threads and the capability to lower them, read from /proc (Linux).</summary>
public static class ThreadPriorities
{
    private const int CapSysNice = 23;

    /// <summary>A thread of a process: its id, its name (comm, at most 15 bytes) and its nice value.</summary>
    public sealed record ThreadNice(int Tid, string Comm, int Nice);

    /// <summary>True when this process may lower nice values (CAP_SYS_NICE in its effective set).</summary>
    public static bool CanRaise()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        return (Convert.ToUInt64(line["CapEff:".Length..].Trim(), 16) & (1UL << CapSysNice)) != 0;
    }

    /// <summary>The calling thread's nice value.</summary>
    public static int Current() => NiceFromStat(File.ReadAllText("/proc/thread-self/stat"));

    /// <summary>Every thread of process <paramref name="pid"/> that still exists while it is read.</summary>
    public static List<ThreadNice> Of(int pid)
    {
        var threads = new List<ThreadNice>();
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                threads.Add(new ThreadNice(
                    int.Parse(Path.GetFileName(task)),
                    File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'),
                    NiceFromStat(File.ReadAllText(Path.Combine(task, "stat")))));
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }

        return threads;
    }

    // stat is "tid (comm) state ppid …"; comm may hold spaces, so fields are counted after its ')'. nice is field 19
    // of the line, the 17th after comm.
    private static int NiceFromStat(string stat) => int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16]);
}
